/**
 * Reachability over a saved usearch graph. usearch's JS binding exposes no neighbour lists,
 * but its file holds them: `index_dense_gt::save_to_stream` writes (usearch 2.x)
 *
 *   u32 rows, u32 bytes a row; the vectors;
 *   a 64-byte head: "usearch", u16 major, minor, patch, u8 metric, scalar, key and slot kinds, …;
 *   the graph (`index_gt::save_to_stream`): u64 size, connectivity, connectivity_base,
 *   max_level, entry_slot; an i16 level per node; then each node: u64 key, i16 level, and for
 *   each level 0..level a u32 count and room for connectivity_base (level 0) or connectivity
 *   (above) u32 slots.
 *
 * A search enters at `entry_slot`, descends the upper levels greedily and then walks the base
 * level's links; a node no path of base-level links from the entry leads to is found only if a
 * descent happens to end on it, so it counts as unreachable here (a node no link of any level
 * leads to is never returned, at any breadth). Concurrent inserts leave a few such nodes
 * (docs/engine.md, "Graph builds on every core"); this finds them by a traversal of the
 * lists, ~0.2 s for 100,000 nodes where searching every node for itself took 4–7 s.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAGIC = 'usearch';
const HEAD_BYTES = 64;
const GRAPH_HEADER_BYTES = 40;
const KIND_U64 = 14;
const KIND_U32 = 15;
/** The key usearch gives a removed node's slot (`default_free_value<u64>`). */
const FREE_KEY = 0xffff_ffff_ffff_ffffn;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`usearch file ends at ${position + done} bytes, expected ${position + length}`);
    done += n;
  }
  return buf;
}

/** A saved graph's links: `bytes` holds the file from `start` on; `offsets` index into it. */
export interface SavedGraph {
  start: number;
  bytes: Buffer;
  view: DataView;
  size: number;
  m: number;
  m0: number;
  entry: number;
  levels: Int16Array;
  /** Where each node (its u64 key, then its i16 level, then its lists) begins in `bytes`. */
  offsets: Float64Array;
}

/**
 * Read the graph part of the usearch file at `path`. Throws on a file this reading does not
 * recognise — another format version, key or slot width, or sizes that do not add up to the
 * file's length — rather than guess.
 */
export function readSavedGraph(path: string): SavedGraph | null {
  const fd = openSync(path, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const dims = readAt(fd, 0, 8);
    let at = 8 + dims.readUInt32LE(0) * dims.readUInt32LE(4);
    const head = readAt(fd, at, HEAD_BYTES + GRAPH_HEADER_BYTES);
    const magic = head.toString('latin1', 0, MAGIC.length);
    const major = head.readUInt16LE(7);
    if (magic !== MAGIC || major !== 2) throw new Error(`not a usearch 2.x file (magic "${magic}", version ${major})`);
    if (head[15] !== KIND_U64 || head[16] !== KIND_U32) throw new Error(`usearch keys of kind ${head[15]} and slots of kind ${head[16]}: only u64 keys and u32 slots are read`);
    const g = HEAD_BYTES;
    const size = Number(head.readBigUInt64LE(g));
    const m = Number(head.readBigUInt64LE(g + 8));
    const m0 = Number(head.readBigUInt64LE(g + 16));
    const entry = Number(head.readBigUInt64LE(g + 32));
    at += HEAD_BYTES + GRAPH_HEADER_BYTES;
    if (size === 0) return null;
    if (entry >= size) throw new Error(`usearch entry slot ${entry} outside its ${size} nodes`);
    const bytes = readAt(fd, at, fileBytes - at);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const levels = new Int16Array(size);
    const offsets = new Float64Array(size);
    let o = 2 * size;
    for (let i = 0; i < size; i++) {
      levels[i] = view.getInt16(2 * i, true);
      offsets[i] = o;
      o += 10 + 4 + 4 * m0 + levels[i] * (4 + 4 * m);
    }
    if (o !== bytes.length) throw new Error(`usearch graph of ${size} nodes takes ${o} bytes, the file holds ${bytes.length}`);
    return { start: at, bytes, view, size, m, m0, entry, levels, offsets };
  } finally {
    closeSync(fd);
  }
}

/** Where node `slot`'s list at `level` begins in `graph.bytes` (a u32 count, then the slots). */
export function listAt(graph: SavedGraph, slot: number, level: number): number {
  return graph.offsets[slot] + 10 + (level === 0 ? 0 : 4 + 4 * graph.m0 + (level - 1) * (4 + 4 * graph.m));
}

/**
 * Labels of the live nodes of the graph saved at `path` that no chain of base-level links from
 * its entry reaches (removed nodes are traversed, as searches do, never reported).
 */
export function unreachableLabels(path: string): number[] {
  const graph = readSavedGraph(path);
  if (graph === null) return [];
  const { view, size, m0, entry, offsets } = graph;
  const seen = new Uint8Array(size);
  const stack = new Uint32Array(size);
  let top = 0;
  seen[entry] = 1;
  stack[top++] = entry;
  while (top > 0) {
    const slot = stack[--top];
    const list = listAt(graph, slot, 0);
    const count = view.getUint32(list, true);
    if (count > m0) throw new Error(`usearch node ${slot} lists ${count} neighbours at the base level`);
    for (let j = 0; j < count; j++) {
      const next = view.getUint32(list + 4 + 4 * j, true);
      if (next >= size) throw new Error(`usearch node ${slot} links to slot ${next} of ${size}`);
      if (seen[next] === 0) {
        seen[next] = 1;
        stack[top++] = next;
      }
    }
  }
  const lost: number[] = [];
  for (let i = 0; i < size; i++) {
    if (seen[i] !== 0) continue;
    const key = view.getBigUint64(offsets[i], true);
    if (key !== FREE_KEY) lost.push(Number(key));
  }
  return lost;
}
