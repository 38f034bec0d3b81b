/**
 * The realtime streams in the scale-out mode, on real parts: a PostgreSQL server and three
 * `vectra serve` processes sharing it. A stream on any node carries PostgreSQL's feed — the same
 * seqs on every node —, so what it delivers is compared with the feed's pages (GET …/changes):
 * exactly those changes, in order, no gap, no duplicate, while writes go on through the other
 * nodes; resumed with Last-Event-ID on another node after the connection dropped, or after its
 * node was killed (kill -9); a WebSocket subscription from a seq.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveProcess, type ServerProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { startPostgres, type Postgres } from '../support/services.js';
import { stream } from '../support/sse.js';
import { tempDir } from '../support/tmp.js';
import { Client } from '../support/ws-client.js';

const DIM = 8;
type Change = { seq: number; op: 'upsert' | 'delete'; id: string; record?: { id: string; metadata: Record<string, unknown> } | null };

const vec = (i: number) => Array.from({ length: DIM }, (_, d) => Math.sin((i + 1) * (d + 1) * 0.37) + (d === i % DIM ? 2 : 0));
const brief = (c: Change) => [c.seq, c.op, c.id];

describe('scale-out: SSE and WebSocket subscriptions follow PostgreSQL’s feed on any node', () => {
  let pg: Postgres;
  const nodes: ServerProcess[] = [];
  let key: string;
  const api = (i: number) => client(nodes[i].url, key);

  before(async () => {
    pg = await startPostgres();
    const env = { VECTRA_DATABASE_URL: pg.url, VECTRA_RATE_LIMIT: '1000000' };
    nodes.push(...(await Promise.all([0, 1, 2].map(() => serveProcess(tempDir('vectra-node-'), env)))));
    key = (await register(nodes[0].url, 'live')).key;
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await pg.stop();
  });

  /** Create a collection through node 1 and wait until every live node has it. */
  async function collection(name: string, on = [0, 1, 2]): Promise<void> {
    const made = await api(0)('POST', '/v1/collections', { name, model: 'none', dimension: DIM });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (const i of on) {
      for (let t = 0; (await api(i)('GET', `/v1/collections/${name}`)).status !== 200; t++) {
        assert.ok(t < 250, `collection ${name} on node ${i + 1}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /**
   * Writers through the given nodes, concurrently, `batches` each: three new records per batch
   * and, every third batch, a record upserted and at once deleted (on the replicas, both often
   * land in one page and apply as a delete of nothing: the streams must wake all the same).
   * Resolves with the highest seq acknowledged.
   */
  async function writeLoad(name: string, through: number[], batches: number): Promise<number> {
    let last = 0;
    const ack = (a: { status: number; body: { seq?: number }; headers: Headers }) => {
      assert.ok(a.status === 200 || a.status === 204, `${a.status} ${JSON.stringify(a.body)}`);
      last = Math.max(last, a.body?.seq ?? Number(a.headers.get('x-vectra-seq')));
    };
    await Promise.all(
      through.map(async (node) => {
        for (let n = 0; n < batches; n++) {
          const records = [0, 1, 2].map((j) => ({ id: `n${node}-${n}-${j}`, vector: vec(n * 3 + j), metadata: { node, n, j } }));
          ack(await api(node)('POST', `/v1/collections/${name}/records`, { records }));
          if (n % 3 === 2) {
            const tmp = `tmp-n${node}-${n}`;
            ack(await api(node)('POST', `/v1/collections/${name}/records`, { records: [{ id: tmp, vector: vec(n) }] }));
            ack(await api(node)('DELETE', `/v1/collections/${name}/records/${tmp}`));
          }
        }
      }),
    );
    return last;
  }

  /** The feed after `since`, as node 1 pages it: PostgreSQL's, the truth the streams are held to. */
  async function feed(name: string, since = 0): Promise<Change[]> {
    const out: Change[] = [];
    for (;;) {
      const page = await api(0)('GET', `/v1/collections/${name}/changes?since=${since}&limit=1000`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      out.push(...page.body.changes);
      if (page.body.changes.length === 0) return out;
      since = page.body.nextSince;
    }
  }

  const open = (i: number, name: string, query = '', headers: Record<string, string> = {}) => stream(`${nodes[i].url}/v1/collections/${name}/changes/stream${query}`, key, headers);
  const delivered = (s: ReturnType<typeof stream>): Change[] =>
    s.events.map((e) => {
      const c = JSON.parse(e.data) as Change;
      // The event's id is its seq, its type the op: what a client resumes from.
      assert.deepEqual([e.id, e.event], [String(c.seq), c.op]);
      return c;
    });
  const reached = (s: ReturnType<typeof stream>, seq: number) => () => s.events.at(-1)?.id === String(seq);

  it('an SSE stream on node 3 receives exactly the changes written through nodes 1 and 2, with PostgreSQL’s seqs, in order', async () => {
    await collection('sse');
    const s = open(2, 'sse');
    await s.until(() => s.comments.some((c) => c.includes('following sse after seq 0')));
    const last = await writeLoad('sse', [0, 1], 24);
    await s.until(reached(s, last));
    // Nothing more comes after the last write: no duplicate trails behind.
    await new Promise((r) => setTimeout(r, 300));
    s.stop();
    const truth = await feed('sse');
    assert.deepEqual(truth.map((c) => c.seq), Array.from({ length: last }, (_, i) => i + 1), 'the feed itself is gap-free');
    assert.deepEqual(delivered(s).map(brief), truth.map(brief));
    assert.ok(truth.some((c) => c.op === 'delete'));
  });

  it('a stream dropped on node 3 and resumed with Last-Event-ID on node 1 continues exactly, writes going on', async () => {
    await collection('resume');
    const first = open(2, 'resume', '?since=0');
    const writes = writeLoad('resume', [0, 1, 2], 18);
    await first.until(() => first.events.length >= 30);
    first.stop();
    await first.status;
    const seen = delivered(first);
    const lastSeen = seen.at(-1)!.seq;
    // Writes land meanwhile; the client comes back elsewhere, where it stopped.
    await new Promise((r) => setTimeout(r, 200));
    const second = open(0, 'resume', '', { 'last-event-id': String(lastSeen) });
    await writes;
    // And some more once the client is back, whatever the pace of the first ones.
    const last = await writeLoad('resume', [1], 3);
    assert.ok(last > lastSeen + 10, `the writes went on after the drop (${lastSeen} → ${last})`);
    await second.until(reached(second, last));
    second.stop();
    assert.deepEqual([...seen, ...delivered(second)].map(brief), (await feed('resume')).map(brief));
    // Resuming at the head gives nothing old; ahead of the feed is a 400 before any stream.
    const ahead = open(1, 'resume', `?since=${last + 1}`);
    const refused = await ahead.status;
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
  });

  it('a WebSocket subscription on node 2 from seq s yields exactly s+1 … last, records included as the node holds them', async () => {
    await collection('ws');
    const pre = await api(0)('POST', '/v1/collections/ws/records', { records: Array.from({ length: 40 }, (_, i) => ({ id: `pre${i}`, vector: vec(i), metadata: { pre: i } })) });
    assert.equal(pre.body.seq, 40);
    const ws = await Client.open(nodes[1].url, { authorization: `Bearer ${key}` });
    const writes = writeLoad('ws', [0, 2], 18);
    const answer = await ws.request('subscribe', 'ws', { since: 20, include: 'record' });
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(answer.result.since, 20);
    assert.ok(answer.result.latestSeq >= 40);
    const last = await writes;
    await ws.wait((m) => m.type === 'change' && m.change.seq === last, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const got = ws.changes('ws') as Change[];
    assert.deepEqual(got.map(brief), (await feed('ws', 20)).map(brief));
    // include=record: the record as this node's replica holds it once it has the change.
    for (const c of got) {
      if (c.id.startsWith('tmp-')) assert.ok(c.record === null || c.record!.id === c.id);
      else if (c.op === 'upsert') assert.deepEqual(c.record?.metadata, c.id.startsWith('pre') ? { pre: Number(c.id.slice(3)) } : { node: Number(c.id[1]), n: Number(c.id.split('-')[1]), j: Number(c.id.split('-')[2]) });
    }
    // Without a since: from PostgreSQL's latest seq (not the replica's own local count).
    const head = await ws.request('subscribe', 'sse', {});
    assert.equal(head.result.since, (await api(0)('GET', '/v1/collections/sse/changes?since=0&limit=1')).body.latestSeq);
    ws.ws.close();
  });

  it('a stream wakes for changes its node’s replica applies as nothing (an upsert and a delete of one id in one page)', async () => {
    await collection('blink');
    const s = open(2, 'blink', '?since=0');
    await api(0)('POST', '/v1/collections/blink/records', { records: [{ id: 'kept', vector: vec(1) }] });
    await s.until(() => s.events.length === 1);
    // Node 3 paused: both commits wait for it together, and its replica applies them in one
    // page, as the delete of a record it never had — nothing happens to its local collection.
    nodes[2].proc.kill('SIGSTOP');
    try {
      await api(0)('POST', '/v1/collections/blink/records', { records: [{ id: 'blink', vector: vec(2) }] });
      assert.equal((await api(0)('DELETE', '/v1/collections/blink/records/blink')).headers.get('x-vectra-seq'), '3');
    } finally {
      nodes[2].proc.kill('SIGCONT');
    }
    await s.until(reached(s, 3), 5000);
    s.stop();
    assert.deepEqual(delivered(s).map(brief), [[1, 'upsert', 'kept'], [2, 'upsert', 'blink'], [3, 'delete', 'blink']]);
  });

  it('a collection dropped on node 1 ends the streams on the other nodes with COLLECTION_NOT_FOUND', async () => {
    await collection('doomed');
    await api(0)('POST', '/v1/collections/doomed/records', { records: [{ id: 'a', vector: vec(1) }] });
    const s = open(2, 'doomed', '?since=0');
    await s.until(() => s.events.length === 1);
    assert.equal((await api(0)('DELETE', '/v1/collections/doomed')).status, 204);
    await s.until(() => s.events.some((e) => e.event === 'error'));
    assert.equal(JSON.parse(s.events.at(-1)!.data).error.code, 'COLLECTION_NOT_FOUND');
    assert.equal((await s.status).status, 200);
  });

  it('PostgreSQL stopped: a new stream is 503 DATABASE_UNAVAILABLE, an open one stays open and goes on when it is back', async () => {
    await collection('outage');
    await api(0)('POST', '/v1/collections/outage/records', { records: [{ id: 'before', vector: vec(1) }] });
    const s = open(2, 'outage', '?since=0');
    await s.until(() => s.events.length === 1);
    await pg.stop();
    try {
      const refused = await open(0, 'outage', '?since=0').status;
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'DATABASE_UNAVAILABLE');
    } finally {
      await pg.start();
    }
    let seq = 0;
    for (let t = 0; seq === 0; t++) {
      assert.ok(t < 150, 'a write after PostgreSQL is back');
      const w = await api(0)('POST', '/v1/collections/outage/records', { records: [{ id: 'after', vector: vec(2) }] });
      if (w.status === 200) seq = w.body.seq;
      else await new Promise((r) => setTimeout(r, 100));
    }
    await s.until(reached(s, seq), 10_000);
    s.stop();
    assert.deepEqual(delivered(s).map(brief), [[1, 'upsert', 'before'], [2, 'upsert', 'after']]);
  });

  it('a stream on a node killed (kill -9) in the middle of writes resumes on another node with Last-Event-ID, without a gap', async () => {
    await collection('kill');
    const s = open(1, 'kill', '?since=0');
    const writes = writeLoad('kill', [0, 2], 24);
    await s.until(() => s.events.length >= 25);
    nodes[1].proc.kill('SIGKILL');
    await nodes[1].exited;
    await s.status;
    const seen = delivered(s);
    const again = open(2, 'kill', '', { 'last-event-id': String(seen.at(-1)!.seq) });
    await writes;
    const last = await writeLoad('kill', [0], 3);
    assert.ok(last > seen.at(-1)!.seq, 'writes went on after the kill');
    await again.until(reached(again, last));
    again.stop();
    assert.deepEqual([...seen, ...delivered(again)].map(brief), (await feed('kill')).map(brief));
  });
});
