/**
 * Conversations, per tenant, in DATA_DIR/chat.db (SQLite, WAL): each with its messages in
 * order, the assistant's with the citations they were given. Another tenant's conversation is
 * not there (404), never forbidden.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VectraError } from '../errors.js';

export type Role = 'user' | 'assistant' | 'system';

export interface StoredMessage {
  role: Role;
  content: string;
  citations?: unknown[];
  createdAt: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  messages: number;
  createdAt: string;
  updatedAt: string;
}

export class ConversationStore {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'chat.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, title TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS conversations_tenant ON conversations(tenant_id, updated_at);
      CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT NOT NULL, pos INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, citations TEXT, created_at INTEGER NOT NULL, PRIMARY KEY (conversation_id, pos));
    `);
  }

  private owned(tenantId: string, id: string): { id: string; title: string; created_at: number; updated_at: number } {
    const row = this.db.prepare('SELECT id, title, created_at, updated_at FROM conversations WHERE id = ? AND tenant_id = ?').get(id, tenantId) as
      | { id: string; title: string; created_at: number; updated_at: number }
      | undefined;
    if (!row) throw new VectraError('CONVERSATION_NOT_FOUND', `conversation "${id}" does not exist`);
    return row;
  }

  /** The stored messages of a conversation (CONVERSATION_NOT_FOUND unless the tenant's). */
  messages(tenantId: string, id: string): StoredMessage[] {
    this.owned(tenantId, id);
    const rows = this.db.prepare('SELECT role, content, citations, created_at FROM messages WHERE conversation_id = ? ORDER BY pos').all(id) as { role: Role; content: string; citations: string | null; created_at: number }[];
    return rows.map((r) => ({ role: r.role, content: r.content, ...(r.citations ? { citations: JSON.parse(r.citations) as unknown[] } : {}), createdAt: new Date(r.created_at).toISOString() }));
  }

  /**
   * Append messages to a conversation, or start one (id null) titled by its first user
   * message; returns its id. One transaction: a turn is stored whole or not at all.
   */
  append(tenantId: string, id: string | null, messages: { role: Role; content: string; citations?: unknown[] }[]): string {
    const now = Date.now();
    return this.db.transaction(() => {
      let cid = id;
      if (cid === null) {
        cid = `conv_${randomBytes(9).toString('base64url')}`;
        const first = messages.find((m) => m.role === 'user')?.content ?? 'conversation';
        this.db.prepare('INSERT INTO conversations (id, tenant_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(cid, tenantId, first.slice(0, 120), now, now);
      } else {
        this.owned(tenantId, cid);
        this.db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(now, cid);
      }
      const next = (this.db.prepare('SELECT COALESCE(MAX(pos) + 1, 0) FROM messages WHERE conversation_id = ?').pluck().get(cid) as number) ?? 0;
      const ins = this.db.prepare('INSERT INTO messages (conversation_id, pos, role, content, citations, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      messages.forEach((m, i) => ins.run(cid, next + i, m.role, m.content, m.citations ? JSON.stringify(m.citations) : null, now));
      return cid;
    })();
  }

  list(tenantId: string, limit = 100): ConversationSummary[] {
    const rows = this.db
      .prepare('SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n FROM conversations c WHERE tenant_id = ? ORDER BY updated_at DESC LIMIT ?')
      .all(tenantId, limit) as { id: string; title: string; created_at: number; updated_at: number; n: number }[];
    return rows.map((r) => ({ id: r.id, title: r.title, messages: r.n, createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString() }));
  }

  get(tenantId: string, id: string): ConversationSummary & { messageList: StoredMessage[] } {
    const row = this.owned(tenantId, id);
    const messageList = this.messages(tenantId, id);
    return { id: row.id, title: row.title, messages: messageList.length, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString(), messageList };
  }

  delete(tenantId: string, id: string): void {
    this.owned(tenantId, id);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM messages WHERE conversation_id = ?').run(id);
      this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id);
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
