/**
 * Conversations in PostgreSQL (the scale-out mode): the same behaviour as DATA_DIR/chat.db
 * (src/rag/conversations.ts) — per tenant, a turn appended in one transaction, another
 * tenant's conversation not there (404) — so a conversation goes on whichever node a load
 * balancer sends its next question to.
 */
import { VectraError } from '../errors.js';
import { newConversation, type ConversationSummary, type Conversations, type Role, type StoredMessage } from '../rag/conversations.js';
import { inTransaction, query, unavailable, unreachable, type Pool, type PoolClient } from './pg.js';

const notFound = (id: string) => new VectraError('CONVERSATION_NOT_FOUND', `conversation "${id}" does not exist`);

async function owned(c: Pool | PoolClient, tenantId: string, id: string, lock = false): Promise<{ id: string; title: string; created_at: string; updated_at: string }> {
  const r = await c
    .query<{ id: string; title: string; created_at: string; updated_at: string }>(`SELECT id, title, created_at, updated_at FROM conversations WHERE id = $1 AND tenant_id = $2${lock ? ' FOR UPDATE' : ''}`, [id, tenantId])
    .catch((e: unknown) => {
      throw unreachable(e) ? unavailable(e) : e;
    });
  if (r.rows.length === 0) throw notFound(id);
  return r.rows[0];
}

const iso = (ms: string | number) => new Date(Number(ms)).toISOString();

export class PgConversations implements Conversations {
  constructor(private readonly pool: Pool) {}

  async messages(tenantId: string, id: string): Promise<StoredMessage[]> {
    await owned(this.pool, tenantId, id);
    const rows = await query<{ role: Role; content: string; citations: string | null; created_at: string }>(
      this.pool,
      'SELECT role, content, citations, created_at FROM messages WHERE conversation_id = $1 ORDER BY pos',
      [id],
    );
    return rows.map((r) => ({ role: r.role, content: r.content, ...(r.citations ? { citations: JSON.parse(r.citations) as unknown[] } : {}), createdAt: iso(r.created_at) }));
  }

  async append(tenantId: string, id: string | null, messages: { role: Role; content: string; citations?: unknown[] }[]): Promise<string> {
    const now = Date.now();
    return inTransaction(this.pool, async (c) => {
      let cid = id;
      if (cid === null) {
        const fresh = newConversation(messages);
        cid = fresh.id;
        await c.query('INSERT INTO conversations (id, tenant_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)', [cid, tenantId, fresh.title, now]);
      } else {
        // Locked: two turns appended at once get consecutive positions.
        await owned(c, tenantId, cid, true);
        await c.query('UPDATE conversations SET updated_at = $2 WHERE id = $1', [cid, now]);
      }
      const next = Number((await c.query<{ n: string }>('SELECT COALESCE(MAX(pos) + 1, 0) AS n FROM messages WHERE conversation_id = $1', [cid])).rows[0].n);
      await c.query(
        `INSERT INTO messages (conversation_id, pos, role, content, citations, created_at)
         SELECT $1, $2 + u.i, u.role, u.content, u.citations, $3 FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(role, content, citations, i)`,
        [cid, next - 1, now, messages.map((m) => m.role), messages.map((m) => m.content), messages.map((m) => (m.citations ? JSON.stringify(m.citations) : null))],
      );
      return cid;
    });
  }

  async list(tenantId: string, limit = 100): Promise<ConversationSummary[]> {
    const rows = await query<{ id: string; title: string; created_at: string; updated_at: string; n: string }>(
      this.pool,
      'SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n FROM conversations c WHERE tenant_id = $1 ORDER BY updated_at DESC LIMIT $2',
      [tenantId, limit],
    );
    return rows.map((r) => ({ id: r.id, title: r.title, messages: Number(r.n), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) }));
  }

  async get(tenantId: string, id: string): Promise<ConversationSummary & { messageList: StoredMessage[] }> {
    const row = await owned(this.pool, tenantId, id);
    const messageList = await this.messages(tenantId, id);
    return { id: row.id, title: row.title, messages: messageList.length, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at), messageList };
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await owned(c, tenantId, id, true);
      await c.query('DELETE FROM messages WHERE conversation_id = $1', [id]);
      await c.query('DELETE FROM conversations WHERE id = $1', [id]);
    });
  }

  close(): void {
    // The pool is the cluster node's.
  }
}
