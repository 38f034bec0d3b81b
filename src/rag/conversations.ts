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

/** Where conversations are kept: DATA_DIR/chat.db (ConversationStore), or PostgreSQL in the scale-out mode (src/cluster/conversations.ts). */
export interface Conversations {
  /** The stored messages of a conversation (CONVERSATION_NOT_FOUND unless the tenant's). */
  messages(tenantId: string, id: string): Promise<StoredMessage[]>;
  /** Append a turn (one transaction), or start a conversation (id null) titled by its first user message; its id. */
  append(tenantId: string, id: string | null, messages: { role: Role; content: string; citations?: unknown[] }[]): Promise<string>;
  list(tenantId: string, limit?: number): Promise<ConversationSummary[]>;
  get(tenantId: string, id: string): Promise<ConversationSummary & { messageList: StoredMessage[] }>;
  delete(tenantId: string, id: string): Promise<void>;
  close(): void;
}

/** A new conversation's id and title. */
export function newConversation(messages: { role: Role; content: string }[]): { id: string; title: string } {
  return { id: `conv_${randomBytes(9).toString('base64url')}`, title: (messages.find((m) => m.role === 'user')?.content ?? 'conversation').slice(0, 120) };
}

export class ConversationStore implements Conversations {
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
  async messages(tenantId: string, id: string): Promise<StoredMessage[]> {
    return this.messagesNow(tenantId, id);
  }

  private messagesNow(tenantId: string, id: string): StoredMessage[] {
    this.owned(tenantId, id);
    const rows = this.db.prepare('SELECT role, content, citations, created_at FROM messages WHERE conversation_id = ? ORDER BY pos').all(id) as { role: Role; content: string; citations: string | null; created_at: number }[];
    return rows.map((r) => ({ role: r.role, content: r.content, ...(r.citations ? { citations: JSON.parse(r.citations) as unknown[] } : {}), createdAt: new Date(r.created_at).toISOString() }));
  }

  /**
   * Append messages to a conversation, or start one (id null) titled by its first user
   * message; returns its id. One transaction: a turn is stored whole or not at all.
   */
  async append(tenantId: string, id: string | null, messages: { role: Role; content: string; citations?: unknown[] }[]): Promise<string> {
    const now = Date.now();
    return this.db.transaction(() => {
      let cid = id;
      if (cid === null) {
        const fresh = newConversation(messages);
        cid = fresh.id;
        this.db.prepare('INSERT INTO conversations (id, tenant_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(cid, tenantId, fresh.title, now, now);
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

  async list(tenantId: string, limit = 100): Promise<ConversationSummary[]> {
    const rows = this.db
      .prepare('SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n FROM conversations c WHERE tenant_id = ? ORDER BY updated_at DESC LIMIT ?')
      .all(tenantId, limit) as { id: string; title: string; created_at: number; updated_at: number; n: number }[];
    return rows.map((r) => ({ id: r.id, title: r.title, messages: r.n, createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString() }));
  }

  async get(tenantId: string, id: string): Promise<ConversationSummary & { messageList: StoredMessage[] }> {
    const row = this.owned(tenantId, id);
    const messageList = this.messagesNow(tenantId, id);
    return { id: row.id, title: row.title, messages: messageList.length, createdAt: new Date(row.created_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString(), messageList };
  }

  async delete(tenantId: string, id: string): Promise<void> {
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
