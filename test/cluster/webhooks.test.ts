/**
 * Webhooks in the scale-out mode, on real parts: a PostgreSQL server, three `vectra serve`
 * processes sharing it, real receivers on loopback. A webhook made on one node is every node's;
 * every change written through any node is delivered once (one event per write, none twice,
 * none missing), signed; a receiver failing is retried until it recovers; a node killed with
 * deliveries in flight leaves them to the survivors; no delivery is ever in flight from two
 * senders at once; another tenant sees nothing of it on any node.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { localHttp } from '../support/net.js';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { client, errorCode, register } from '../support/server.js';
import { startPostgres, type Postgres } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { QUICK_WEBHOOKS_ENV } from '../support/webhook-receiver.js';

const DIM = 4;
const ENV = {
  ...QUICK_WEBHOOKS_ENV,
  // A delivery is leased for this + 5 s to the node sending it.
  VECTRA_WEBHOOK_TIMEOUT_MS: '1000',
};

interface Hit {
  msgId: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: { type: string; data: Record<string, any> };
  status: number;
}

/**
 * A receiver answering `status()` after `delayMs`, which notes every request and each time one
 * arrives while another with the same webhook-id is still open (two senders at once).
 */
async function receiver(delayMs = 0) {
  const hits: Hit[] = [];
  const open = new Map<string, number>();
  const overlaps: string[] = [];
  let status = 200;
  const http = await localHttp((req, res) => {
    const msgId = String(req.headers['webhook-id']);
    if ((open.get(msgId) ?? 0) > 0) overlaps.push(msgId);
    open.set(msgId, (open.get(msgId) ?? 0) + 1);
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      open.set(msgId, open.get(msgId)! - 1);
    };
    res.on('close', done);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = status;
      setTimeout(() => {
        hits.push({ msgId, headers: req.headers, body, event: JSON.parse(body), status: answer });
        res.writeHead(answer).end();
      }, delayMs);
    });
  });
  return {
    url: `${http.url}hook`,
    hits,
    overlaps,
    set status(s: number) {
      status = s;
    },
    acked: () => hits.filter((h) => h.status === 200),
    close: () => http.close(),
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;

async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('scale-out: webhooks from PostgreSQL’s feed, each change sent once by one node', () => {
  let pgServer: Postgres;
  let db: pg.Client;
  const nodes: ServerProcess[] = [];
  const receivers: Receiver[] = [];
  let key: string;
  const api = (i: number) => client(nodes[i].url, key);

  before(async () => {
    pgServer = await startPostgres();
    nodes.push(...(await Promise.all([1, 2, 3].map((n) => serveProcess(tempDir('vectra-node-'), { ...ENV, VECTRA_DATABASE_URL: pgServer.url, VECTRA_NODE_ID: `node${n}` })))));
    key = (await register(nodes[0].url, 'hooks')).key;
    db = new pg.Client({ connectionString: pgServer.url });
    db.on('error', () => undefined);
    await db.connect();
  });

  after(async () => {
    await db?.end().catch(() => undefined);
    for (const r of receivers) await r.close();
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await pgServer?.stop();
  });

  async function collection(name: string): Promise<void> {
    const made = await api(0)('POST', '/v1/collections', { name, model: 'none', dimension: DIM });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (const i of [0, 1, 2]) await until(async () => (await api(i)('GET', `/v1/collections/${name}`)).status === 200, `collection ${name} on node ${i + 1}`);
  }

  async function hook(on: number, r: Receiver, collections: string[]): Promise<{ id: string; secret: string }> {
    const made = await api(on)('POST', '/v1/webhooks', { url: r.url, events: ['record.*'], collections });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body;
  }

  /** Concurrent writers through the given nodes: three records per batch, and a delete every third. Resolves with the number of changes acknowledged. */
  async function writes(name: string, through: number[], batches: number): Promise<number> {
    let changes = 0;
    await Promise.all(
      through.map(async (node) => {
        for (let n = 0; n < batches; n++) {
          const records = [0, 1, 2].map((j) => ({ id: `n${node}-${n}-${j}`, vector: [node, n, j, 1] }));
          const w = await api(node)('POST', `/v1/collections/${name}/records`, { records });
          assert.equal(w.status, 200, JSON.stringify(w.body));
          changes += 3;
          if (n % 3 === 2) {
            assert.equal((await api(node)('DELETE', `/v1/collections/${name}/records/n${node}-${n}-0`)).status, 204);
            changes += 1;
          }
        }
      }),
    );
    return changes;
  }

  /** The collection's feed as PostgreSQL holds it (every node pages the same). */
  async function feed(name: string): Promise<{ seq: number; op: string; id: string }[]> {
    const page = await api(1)('GET', `/v1/collections/${name}/changes?since=0&limit=10000`);
    assert.equal(page.status, 200);
    return page.body.changes;
  }

  /** The acked record events cover the feed exactly: each change in one event, one event per webhook-id. */
  function assertExactlyOnce(r: Receiver, truth: { seq: number; op: string; id: string }[]): void {
    const acked = r.acked().filter((h) => h.event.type.startsWith('record.'));
    assert.equal(new Set(acked.map((h) => h.msgId)).size, acked.length, 'no delivery acknowledged twice');
    const got = acked
      .flatMap((h) => h.event.data.ids.map((id: string, i: number) => ({ seq: h.event.data.fromSeq + i, op: h.event.type === 'record.upserted' ? 'upsert' : 'delete', id })))
      .sort((a, b) => a.seq - b.seq);
    assert.deepEqual(got, truth.map((c) => ({ seq: c.seq, op: c.op, id: c.id })));
  }

  it('a webhook created on node 1 is seen on every node and receives each change written through nodes 2 and 3 once, signed', async () => {
    const r = await receiver();
    receivers.push(r);
    await collection('fan');
    const wh = await hook(0, r, ['fan']);
    for (const i of [1, 2]) {
      const seen = await api(i)('GET', `/v1/webhooks/${wh.id}`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.url, r.url);
    }
    const changes = await writes('fan', [1, 2], 15);
    const truth = await feed('fan');
    assert.equal(truth.length, changes);
    await until(() => r.acked().reduce((n, h) => n + h.event.data.ids.length, 0) >= changes, `${changes} changes delivered`);
    // Nothing trails behind: no second copy of anything comes later.
    await new Promise((res) => setTimeout(res, 1000));
    assertExactlyOnce(r, truth);
    const verifier = new Webhook(wh.secret);
    for (const h of r.hits) {
      verifier.verify(h.body, { 'webhook-id': h.msgId, 'webhook-timestamp': String(h.headers['webhook-timestamp']), 'webhook-signature': String(h.headers['webhook-signature']) });
    }
    assert.deepEqual(r.overlaps, []);
    // Every node reports the same counts, read from PostgreSQL.
    const stats = await Promise.all([0, 1, 2].map(async (i) => (await api(i)('GET', `/v1/webhooks/${wh.id}`)).body.stats));
    for (const s of stats) assert.deepEqual(s, { ...stats[0], delivered: r.acked().length, pending: 0, failed: 0 });
  });

  it('the test event is queued and sent from whichever node is asked; a change made on one node shows on the others', async () => {
    const r = await receiver();
    receivers.push(r);
    const wh = await hook(2, r, ['fan']);
    const queued = await Promise.all([0, 1, 2].map(async (i) => (await api(i)('POST', `/v1/webhooks/${wh.id}/test`)).body.id as string));
    await until(() => r.acked().length >= 3, 'three test events');
    assert.deepEqual(new Set(r.acked().map((h) => h.msgId)), new Set(queued));
    assert.ok(r.acked().every((h) => h.event.type === 'webhook.test' && h.event.data.webhookId === wh.id));
    const listed = await api(0)('GET', `/v1/webhooks/${wh.id}/deliveries?status=delivered`);
    assert.deepEqual(new Set(listed.body.deliveries.map((d: { id: string }) => d.id)), new Set(queued));

    assert.equal((await api(1)('PATCH', `/v1/webhooks/${wh.id}`, { status: 'disabled' })).status, 200);
    const off = await api(2)('GET', `/v1/webhooks/${wh.id}`);
    assert.deepEqual([off.body.status, off.body.disabledReason], ['disabled', 'disabled by the API']);
    assert.equal((await api(0)('DELETE', `/v1/webhooks/${wh.id}`)).status, 204);
    for (const i of [0, 1, 2]) assert.equal(errorCode(await api(i)('GET', `/v1/webhooks/${wh.id}`)), 'WEBHOOK_NOT_FOUND');
  });

  it('another tenant can neither see nor change the webhook on any node', async () => {
    const r = await receiver();
    receivers.push(r);
    const wh = await hook(0, r, ['fan']);
    for (const i of [0, 1, 2]) {
      const o = client(nodes[i].url, (await register(nodes[i].url, `other${i}`)).key);
      assert.deepEqual((await o('GET', '/v1/webhooks')).body.webhooks, []);
      assert.equal(errorCode(await o('GET', `/v1/webhooks/${wh.id}`)), 'WEBHOOK_NOT_FOUND');
      assert.equal(errorCode(await o('PATCH', `/v1/webhooks/${wh.id}`, { status: 'disabled' })), 'WEBHOOK_NOT_FOUND');
      assert.equal(errorCode(await o('POST', `/v1/webhooks/${wh.id}/test`)), 'WEBHOOK_NOT_FOUND');
      assert.equal(errorCode(await o('GET', `/v1/webhooks/${wh.id}/deliveries`)), 'WEBHOOK_NOT_FOUND');
      assert.equal(errorCode(await o('DELETE', `/v1/webhooks/${wh.id}`)), 'WEBHOOK_NOT_FOUND');
    }
    const still = await api(2)('GET', `/v1/webhooks/${wh.id}`);
    assert.deepEqual([still.status, still.body.status], [200, 'active']);
    assert.equal(r.hits.length, 0, 'nothing was sent by the other tenants’ requests');
    assert.equal((await api(0)('DELETE', `/v1/webhooks/${wh.id}`)).status, 204);
  });

  it('a receiver failing is retried (same webhook-id) until it recovers; each change is acknowledged once', async () => {
    const r = await receiver();
    receivers.push(r);
    r.status = 500;
    await collection('flaky');
    await hook(1, r, ['flaky']);
    const changes = await writes('flaky', [0, 1, 2], 4);
    await until(() => r.hits.length >= 20, 'twenty failed attempts');
    r.status = 200;
    await until(() => r.acked().reduce((n, h) => n + h.event.data.ids.length, 0) >= changes, `${changes} changes delivered after the recovery`);
    await new Promise((res) => setTimeout(res, 500));
    assertExactlyOnce(r, await feed('flaky'));
    const failedIds = new Set(r.hits.filter((h) => h.status === 500).map((h) => h.msgId));
    assert.ok(r.acked().some((h) => failedIds.has(h.msgId)), 'a delivery that failed was retried under its webhook-id and acknowledged');
    assert.deepEqual(r.overlaps, []);
  });

  it('kill -9 of a node with deliveries in flight: the survivors send them after its lease; none lost, none sent by two at once', async (t) => {
    // Answers take 300 ms, so attempts are in flight on every node most of the time.
    const r = await receiver(300);
    receivers.push(r);
    r.status = 503;
    await collection('crash');
    await hook(0, r, ['crash']);
    const changes = await writes('crash', [0, 1, 2], 8);
    const inFlight = async () => (await db.query<{ id: string }>("SELECT id FROM webhook_deliveries WHERE status = 'pending' AND claim LIKE 'node1:%'")).rows.map((x) => x.id);
    let held: string[] = [];
    await until(async () => (held = await inFlight()).length > 0, 'node 1 sending deliveries');
    nodes[0].proc.kill('SIGKILL');
    await nodes[0].exited;
    const killedAt = Date.now();
    // What node 1 held at its death (it may have recorded some outcomes just before).
    held = (await db.query<{ id: string }>("SELECT id FROM webhook_deliveries WHERE status = 'pending' AND claim LIKE 'node1:%'")).rows.map((x) => x.id);
    t.diagnostic(`node 1 held ${held.length} deliveries in flight when killed`);
    assert.ok(held.length > 0, 'node 1 died with deliveries in flight');
    r.status = 200;
    await until(() => r.acked().reduce((n, h) => n + h.event.data.ids.length, 0) >= changes, `${changes} changes delivered by nodes 2 and 3`, 60_000);
    await new Promise((res) => setTimeout(res, 500));
    assertExactlyOnce(r, await feed('crash'));
    const done = await db.query<{ id: string; status: string; claim: string | null }>('SELECT id, status, claim FROM webhook_deliveries WHERE id = ANY($1)', [held]);
    assert.deepEqual(done.rows.map((x) => x.status), held.map(() => 'delivered'), 'what node 1 held was delivered by the survivors');
    const retriedAt = r.hits.filter((h) => held.includes(h.msgId) && h.status === 200);
    assert.equal(retriedAt.length, held.length);
    t.diagnostic(`the survivors delivered them ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill at the latest`);
    assert.deepEqual(r.overlaps, [], 'no delivery was in flight from two senders at once');
  });

  it('PostgreSQL stopped: the webhook routes answer 503 DATABASE_UNAVAILABLE, the nodes stay up, and deliveries go on when it is back', async () => {
    const r = await receiver();
    receivers.push(r);
    const wh = await hook(1, r, ['crash']);
    await pgServer.stop();
    try {
      for (const i of [1, 2]) {
        for (const [method, path] of [['GET', '/v1/webhooks'], ['GET', `/v1/webhooks/${wh.id}`], ['POST', `/v1/webhooks/${wh.id}/test`]] as const) {
          const a = await api(i)(method, path);
          assert.deepEqual([a.status, errorCode(a)], [503, 'DATABASE_UNAVAILABLE'], `${method} ${path} on node ${i + 1}`);
        }
      }
    } finally {
      await pgServer.start();
    }
    await until(async () => (await api(2)('POST', `/v1/webhooks/${wh.id}/test`)).status === 202, 'the test route back', 30_000);
    await until(() => r.acked().some((h) => h.event.type === 'webhook.test'), 'the test event delivered');
  });
});
