import pg from 'pg';
import { serveProcess } from '../support/process.js';
import { client, register } from '../support/server.js';
import { startPostgres } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
const db = await startPostgres();
const sql = new pg.Client({ connectionString: db.url }); await sql.connect();
const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => serveProcess(tempDir('dbg-'), { VECTRA_DATABASE_URL: db.url, VECTRA_REPLICAS: '1', VECTRA_NODE_ID: id })));
const { key } = await register(nodes[0].url, 'acme');
await new Promise((r) => setTimeout(r, 3000));
const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
for (const name of names) await client(nodes[0].url, key)('POST', '/v1/collections', { name, model: 'none', dimension: 4 });
const show = async (tag: string) => {
  const rows = (await sql.query('SELECT p.node_id, p.collection, p.loaded, n.heartbeat_at > $1 AS live FROM placements p JOIN nodes n ON n.id = p.node_id ORDER BY p.collection, p.node_id', [Date.now() - 5000])).rows;
  console.log(tag, rows.map((r) => `${r.collection}:${r.node_id}${r.loaded ? '' : '(l)'}${r.live ? '' : '(dead)'}`).join(' '));
};
for (let i = 0; i < 14; i++) { await show(`t${i}`); await new Promise((r) => setTimeout(r, 1000)); }
console.log((await sql.query('SELECT id, url, heartbeat_at, $1::bigint - heartbeat_at AS age FROM nodes', [Date.now()])).rows);
console.log(nodes[2].output().split('\n').filter((l) => /warn|error|handed|drop|fatal/i.test(l)).slice(-10).join('\n').slice(0, 3000));
nodes[2].proc.kill('SIGKILL');
for (let i = 0; i < 16; i++) { await show(`k${i}`); await new Promise((r) => setTimeout(r, 1000)); }
for (const n of nodes.slice(0, 2)) console.log(n.output().split('\n').filter((l) => /warn|error|handed|drop/i.test(l)).slice(-10).join('\n').slice(0, 3000));
for (const n of nodes.slice(0, 2)) await n.stop();
await sql.end();
await db.stop();
