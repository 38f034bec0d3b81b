/**
 * One adapter per system measured by bench:peers. Each is configured for speed as its own
 * documentation suggests, with the same graph parameters where the system has them
 * (HNSW M 16, efConstruction 200, cosine); `configured` says what was set. Labels are GloVe
 * word indexes; every adapter returns them, best first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Collection } from '../../src/engine/index.js';
import { normalized } from '../../src/vector/math.js';
import { ROOT } from '../lib/glove-data.js';
import { poster, rssBytes, serveProcess, startFlags, upsertAll, waitIndexed, type ServerProcess } from '../lib/server.js';

export interface Adapter {
  name: string;
  /** "http": a server in its own process, measured over loopback; "embedded": in this process. */
  kind: 'http' | 'embedded';
  configured: string;
  /** The recall/speed knob swept, or null for exact search. */
  knob: { name: string; values: number[] } | null;
  open(dir: string): Promise<void>;
  /**
   * Insert everything; returns seconds spent inserting and then building the index (0 when built
   * on insert). `waitForIndex: false` returns once every insert is acknowledged, even when the
   * system still indexes in the background (only Vectra does).
   */
  ingest(vectors: Float32Array, n: number, dim: number, opts?: { waitForIndex?: boolean }): Promise<{ insertSeconds: number; buildSeconds: number }>;
  search(query: Float32Array, k: number, knob: number | null): Promise<number[]>;
  /** Resident memory of the process holding the data. */
  memoryBytes(): Promise<number>;
  /** HTTP systems: the server process, whose CPU time per search the bench reports. */
  serverPid?(): number;
  close(): Promise<void>;
}

export const EF_VALUES = [20, 40, 80, 160, 320];
const BATCH = 1000;

export function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    try {
      const s = statSync(join(dir, name));
      if (s.isFile()) total += s.size;
    } catch {
      // vanished
    }
  }
  return total;
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc (clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const rssOf = (pid: number) => rssBytes(pid) || 0;

const row = (v: Float32Array, i: number, dim: number) => v.subarray(i * dim, (i + 1) * dim);
/** Embedded systems hold their data in this process. */
const ownMemory = async () => process.memoryUsage().rss;

/**
 * What the two HTTP rows over Vectra's engine (Vectra itself and the bare-HTTP floor) send and
 * read: the same records in the same batches, ids back as numbers — so the floor measures the
 * same client. Returns the seconds until the last batch is acknowledged.
 */
async function loadJson(post: ReturnType<typeof poster>, key: string, v: Float32Array, n: number, dim: number): Promise<number> {
  const t0 = performance.now();
  await upsertAll(post, key, 'g', n, BATCH, (i) => ({ id: String(i), vector: Array.from(row(v, i, dim)) }));
  return (performance.now() - t0) / 1000;
}
const hitIds = (answer: { results: { id: string }[] }) => answer.results.map((h) => Number(h.id));

/** Vectra over HTTP: `vectra serve` (built JS) in its own process. */
export function vectraHttp(): Adapter {
  let server: ServerProcess;
  let post: ReturnType<typeof poster>;
  let key = '';
  return {
    name: 'Vectra (HTTP)',
    kind: 'http',
    configured: 'vectra serve (node flags as `npm start`), collection model "none", cosine, HNSW M 16 / efC 200, f16 graph rescored exactly (defaults); batches of 1,000, 2 in flight; `ef` per request; ingest time = acknowledged, build = until the graph holds every vector',
    knob: { name: 'ef', values: EF_VALUES },
    async open(dir) {
      server = await serveProcess(dir, ['--rate-limit', '10000000']);
      post = poster(server.url);
      key = (await post('/v1/auth/register', { name: 'bench' })).apiKey;
      await post('/v1/collections', { name: 'g', model: 'none', dimension: 100 }, key);
    },
    async ingest(v, n, dim, opts) {
      const insertSeconds = await loadJson(post, key, v, n, dim);
      if (opts?.waitForIndex === false) return { insertSeconds, buildSeconds: 0 };
      const t1 = performance.now();
      await waitIndexed(server.url, key, 'g');
      return { insertSeconds, buildSeconds: (performance.now() - t1) / 1000 };
    },
    async search(q, k, ef) {
      return hitIds(await post('/v1/collections/g/search', { vector: Array.from(q), k, ef: ef ?? undefined, return: 'id' }, key));
    },
    async memoryBytes() {
      return rssOf(server.proc.pid!);
    },
    serverPid: () => server.proc.pid!,
    async close() {
      await server.stop();
    },
  };
}

/**
 * The engine behind a bare `node:http` server (floor-server.ts): what HTTP costs at least, with
 * the same client as the Vectra row, for reading "HTTP ≥ 70 % of embedded" against the possible.
 */
export function engineHttpFloor(): Adapter {
  let proc: ChildProcess;
  let post: ReturnType<typeof poster>;
  return {
    name: 'Vectra engine on bare node:http (HTTP)',
    kind: 'http',
    configured: 'the embedded row\'s Collection (synchronous indexing) in its own process (node flags as `npm start`) behind `node:http`: JSON.parse of the body, `search`, JSON.stringify of the ids; no auth, validation, routing, logging or metrics; batches of 1,000 through the same client as Vectra (HTTP); `ef` per request',
    knob: { name: 'ef', values: EF_VALUES },
    async open(dir) {
      proc = spawn(process.execPath, [...startFlags(ROOT), '--import', 'tsx', join(ROOT, 'bench/peers/floor-server.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        proc.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
      });
      post = poster(`http://127.0.0.1:${port}`);
    },
    async ingest(v, n, dim) {
      return { insertSeconds: await loadJson(post, '', v, n, dim), buildSeconds: 0 };
    },
    async search(q, k, ef) {
      return hitIds(await post('/search', { vector: Array.from(q), k, ef: ef ?? undefined }));
    },
    async memoryBytes() {
      return rssOf(proc.pid!);
    },
    serverPid: () => proc.pid!,
    async close() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The Chroma server (Rust, shipped in the chromadb npm package) over HTTP, with its JS client. */
export function chromaHttp(): Adapter {
  let proc: ChildProcess;
  let client: any;
  let coll: any;
  let dir = '';
  let port = 0;
  let current: number | null = null;
  // Chroma wants an embedding function even when every vector is given: one that refuses.
  const embeddingFunction = { generate: async () => Promise.reject(new Error('vectors are precomputed')) };
  const start = async () => {
    proc = spawn(process.execPath, [join(ROOT, 'bench/peers/node_modules/chromadb/dist/cli.mjs'), 'run', '--path', dir, '--host', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        await client.heartbeat();
        return;
      } catch (e) {
        if (i > 300) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  };
  return {
    name: 'Chroma 3.0.4 (HTTP)',
    kind: 'http',
    configured: 'chroma run (chromadb 3.0.4 CLI), cosine, HNSW max_neighbors 16 / ef_construction 200, adds in batches of 1,000; `ef_search` per sweep point via collection.modify + a server restart (a running collection keeps the ef_search it was loaded with)',
    knob: { name: 'ef_search', values: EF_VALUES },
    async open(d) {
      dir = d;
      port = await freePort();
      const { ChromaClient } = await import('chromadb');
      client = new ChromaClient({ host: '127.0.0.1', port });
      await start();
      coll = await client.createCollection({ name: 'glove', embeddingFunction, configuration: { hnsw: { space: 'cosine', max_neighbors: 16, ef_construction: 200 } } } as never);
    },
    async ingest(v, n, dim) {
      const t0 = performance.now();
      for (let s = 0; s < n; s += BATCH) {
        const ids: string[] = [];
        const embeddings: number[][] = [];
        for (let i = s; i < Math.min(n, s + BATCH); i++) {
          ids.push(String(i));
          embeddings.push(Array.from(row(v, i, dim)));
        }
        await coll.add({ ids, embeddings });
      }
      return { insertSeconds: (performance.now() - t0) / 1000, buildSeconds: 0 };
    },
    async search(q, k, ef) {
      if (ef !== null && ef !== current) {
        await coll.modify({ configuration: { hnsw: { ef_search: ef } } });
        await stop();
        await start();
        coll = await client.getCollection({ name: 'glove', embeddingFunction } as never);
        current = ef;
      }
      const r = await coll.query({ queryEmbeddings: [Array.from(q)], nResults: k, include: [] });
      return (r.ids[0] as string[]).map(Number);
    },
    async memoryBytes() {
      return rssOf(proc.pid!);
    },
    serverPid: () => proc.pid!,
    async close() {
      await stop();
    },
  };
}

/** Vectra's engine in this process (no HTTP). */
export function vectraEngine(): Adapter {
  let c: Collection;
  return {
    name: 'Vectra engine (embedded)',
    kind: 'embedded',
    configured: 'Collection, cosine, HNSW M 16 / efC 200, f16 graph rescored exactly (defaults), synchronous indexing, upsert batches of 10,000; `ef` per search',
    knob: { name: 'ef', values: EF_VALUES },
    async open(dir) {
      c = await Collection.create(join(dir, 'c'), { dimension: 100, metric: 'cosine' }, { logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as never });
    },
    async ingest(v, n, dim) {
      const t0 = performance.now();
      for (let s = 0; s < n; s += 10 * BATCH) {
        const records = [];
        for (let i = s; i < Math.min(n, s + 10 * BATCH); i++) records.push({ id: String(i), vector: row(v, i, dim) });
        c.upsert(records);
      }
      return { insertSeconds: (performance.now() - t0) / 1000, buildSeconds: 0 };
    },
    async search(q, k, ef) {
      return c.search({ vector: q, k, ef: ef ?? undefined, include: 'id' }).hits.map((h) => Number(h.id));
    },
    memoryBytes: ownMemory,
    async close() {
      await c.close();
    },
  };
}

/** usearch itself, configured as Vectra configures it: the ceiling. */
export function usearchRaw(): Adapter {
  let index: any;
  return {
    name: 'usearch 2.25.3 (raw, embedded)',
    kind: 'embedded',
    configured: 'configured as Vectra configures it: vectors normalized, metric ip, M 16, expansion_add 200, f32 (the default of Vectra until 2026-12-01; f16 now), one insert thread, adds of 1,000 (its best graph in `npm run bench:build-order`; one 100k add builds a worse one); breadth per query = max(k, ef), k keys read',
    knob: { name: 'ef', values: EF_VALUES },
    async open() {
      const { Index } = await import('usearch');
      index = new Index({ dimensions: 100, metric: 'ip', quantization: 'f32', connectivity: 16, expansion_add: 200, expansion_search: 1, multi: false } as never);
    },
    async ingest(v, n) {
      const t0 = performance.now();
      const unit = new Float32Array(n * 100);
      for (let i = 0; i < n; i++) unit.set(normalized(v.subarray(i * 100, (i + 1) * 100)), i * 100);
      for (let s = 0; s < n; s += BATCH) {
        const m = Math.min(BATCH, n - s);
        index.add(BigUint64Array.from({ length: m }, (_, i) => BigInt(s + i)), unit.subarray(s * 100, (s + m) * 100), 1);
      }
      return { insertSeconds: (performance.now() - t0) / 1000, buildSeconds: 0 };
    },
    async search(q, k, ef) {
      const m = index.search(normalized(q), Math.max(k, ef ?? k), 1);
      const keys = m.keys as BigUint64Array;
      return Array.from({ length: Math.min(k, keys.length) }, (_, i) => Number(keys[i]));
    },
    memoryBytes: ownMemory,
    async close() {},
  };
}

/** LanceDB (embedded, Rust), with its HNSW-SQ index. */
export function lancedb(): Adapter {
  let db: any;
  let table: any;
  return {
    name: 'LanceDB 0.37.1 (embedded)',
    kind: 'embedded',
    configured: 'table of {id, vector}, added in batches of 10,000; index HNSW-SQ cosine, m 16, ef_construction 200 (build timed separately); `ef` per query; vector column only',
    knob: { name: 'ef', values: EF_VALUES },
    async open(dir) {
      const { connect } = await import('@lancedb/lancedb');
      db = await connect(join(dir, 'lance'));
    },
    async ingest(v, n, dim) {
      const lance = await import('@lancedb/lancedb');
      const t0 = performance.now();
      for (let s = 0; s < n; s += 10 * BATCH) {
        const rows = [];
        for (let i = s; i < Math.min(n, s + 10 * BATCH); i++) rows.push({ id: i, vector: Array.from(row(v, i, dim)) });
        if (!table) table = await db.createTable('g', rows);
        else await table.add(rows);
      }
      const t1 = performance.now();
      await table.createIndex('vector', { config: lance.Index.hnswSq({ distanceType: 'cosine', m: 16, efConstruction: 200 }) });
      return { insertSeconds: (t1 - t0) / 1000, buildSeconds: (performance.now() - t1) / 1000 };
    },
    async search(q, k, ef) {
      let query = table.query().nearestTo(Array.from(q)).distanceType('cosine').select(['id']).limit(k);
      if (ef !== null) query = query.ef(ef);
      const rows = await query.toArray();
      return rows.map((r: { id: number }) => Number(r.id));
    },
    memoryBytes: ownMemory,
    async close() {},
  };
}

/** Orama (TypeScript, in memory): exact vector search. */
export function orama(): Adapter {
  let db: any;
  let o: any;
  return {
    name: 'Orama 3.1.18 (embedded)',
    kind: 'embedded',
    configured: 'schema {id: number, embedding: vector[100]}, insertMultiple in batches of 10,000, vector mode with similarity -1 (its threshold; the default 0.8 and even 0 drop hits, so the k best are returned whatever their score); exact scan',
    knob: null,
    async open() {
      o = await import('@orama/orama');
      db = o.create({ schema: { n: 'number', embedding: 'vector[100]' } });
    },
    async ingest(v, n, dim) {
      const t0 = performance.now();
      for (let s = 0; s < n; s += 10 * BATCH) {
        const docs = [];
        for (let i = s; i < Math.min(n, s + 10 * BATCH); i++) docs.push({ id: String(i), n: i, embedding: Array.from(row(v, i, dim)) });
        await o.insertMultiple(db, docs, 10 * BATCH);
      }
      return { insertSeconds: (performance.now() - t0) / 1000, buildSeconds: 0 };
    },
    async search(q, k) {
      const r = await o.search(db, { mode: 'vector', vector: { value: Array.from(q), property: 'embedding' }, similarity: -1, limit: k, includeVectors: false });
      return r.hits.map((h: { id: string }) => Number(h.id));
    },
    memoryBytes: ownMemory,
    async close() {},
  };
}

/** The npm package "vectra" (a JSON-file local index, brute force): same name, a different project. */
export function npmVectra(): Adapter {
  let index: any;
  return {
    name: 'npm vectra 0.12.3 (embedded)',
    kind: 'embedded',
    configured: 'LocalIndex, one beginUpdate/endUpdate around all inserts (one index.json write), queryItems(vector, "", k); exact scan',
    knob: null,
    async open(dir) {
      const { LocalIndex } = await import('vectra');
      index = new LocalIndex(join(dir, 'npm-vectra'));
      await index.createIndex();
    },
    async ingest(v, n, dim) {
      const t0 = performance.now();
      await index.beginUpdate();
      for (let i = 0; i < n; i++) await index.insertItem({ id: String(i), vector: Array.from(row(v, i, dim)), metadata: { n: i } });
      await index.endUpdate();
      return { insertSeconds: (performance.now() - t0) / 1000, buildSeconds: 0 };
    },
    async search(q, k) {
      const r = await index.queryItems(Array.from(q), '', k);
      return r.map((x: { item: { metadata: { n: number } } }) => x.item.metadata.n);
    },
    memoryBytes: ownMemory,
    async close() {},
  };
}

export const SYSTEMS: Record<string, () => Adapter> = {
  'vectra-http': vectraHttp,
  'chroma-http': chromaHttp,
  'vectra-engine': vectraEngine,
  'engine-http-floor': engineHttpFloor,
  'usearch-raw': usearchRaw,
  lancedb,
  orama,
  'npm-vectra': npmVectra,
};
