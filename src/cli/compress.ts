/**
 * `vectra compress`, `vectra decompress` and `vectra eval`: the embedding compression toolkit
 * (src/compress/), on local files, no server. Progress bars go to standard error on a
 * terminal; results to standard output (`--json` for machines).
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { METHODS, type Method } from '../compress/codec.js';
import { evaluate, type EvalReport } from '../compress/evaluate.js';
import { compressFile, decompressFile, type Progress } from '../compress/files.js';

function progressBar(enabled: boolean, unit: string): { update: Progress; stop: () => void } {
  if (!enabled || process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: `{bar} {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

export function evalText(r: EvalReport): string {
  return [
    `method            ${r.method} (${r.vectors.toLocaleString('en-US')} vectors × ${r.dim})`,
    `original bytes    ${r.originalBytes.toLocaleString('en-US')} (${mb(r.originalBytes)}; ${r.bytesPerVector.original} per vector)`,
    `compressed bytes  ${r.compressedBytes.toLocaleString('en-US')} (${mb(r.compressedBytes)}; ${r.bytesPerVector.compressed} per vector)`,
    `ratio             ${r.ratio.toFixed(2)}×`,
    `mean cosine       ${r.meanCosine.toFixed(4)} (original vs reconstructed)`,
    `recall@${r.k}         ${r.recall.toFixed(4)} (${r.queries} queries, ${r.search === 'hamming' ? 'Hamming distance on sign codes' : 'cosine over reconstructed vectors'} vs exact search on the originals)`,
    `recall@${r.k} rescored ${r.recallRescored.toFixed(4)} (top ${r.rescoreCandidates} candidates re-ranked with the originals)`,
    ...(r.signDot ? [`query · sign(x)    recall@${r.k} ${r.signDot.recall.toFixed(4)}, rescored ${r.signDot.recallRescored.toFixed(4)} (candidates as the database's binary storage picks them)`] : []),
  ].join('\n');
}

/** Runs `fn`, printing a clear message and exiting non-zero on any error. */
async function run(fn: () => void | Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    process.stderr.write(`vectra: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

export function registerCompressCommands(program: Command): void {
  program
    .command('compress')
    .description('compress a .npy file of vectors into a .vqz container')
    .requiredOption('--in <file>', 'input .npy (float32/float64/float16, 2-D, C order)')
    .requiredOption('--out <file>', 'output container (.vqz)')
    .option('--method <method>', `${METHODS.join(' | ')} (int8: per-vector, sq8/int4: per-dimension)`, 'int8')
    .option('--pq-m <n>', 'pq: sub-vectors (must divide the dimension; default d/4)')
    .option('--pq-bits <n>', 'pq: bits per sub-vector code, 1–8', '8')
    .option('--opq', 'pq: apply an OPQ rotation before quantizing')
    .option('--sample <n>', 'training rows for sq8/int4/binary/pq (default 20,000; pq 10,000)')
    .option('--chunk <n>', 'rows per streaming chunk', '16384')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action((o: { in: string; out: string; method: string; pqM?: string; pqBits: string; opq?: boolean; sample?: string; chunk: string; json?: boolean; progress: boolean }) =>
      run(() => {
        if (!(METHODS as readonly string[]).includes(o.method)) throw new Error(`--method must be one of ${METHODS.join(', ')} (got ${JSON.stringify(o.method)})`);
        const bar = progressBar(o.progress, 'vectors');
        try {
          const s = compressFile({
            input: o.in, output: o.out, method: o.method as Method,
            pq: { m: positiveInt(o.pqM, '--pq-m'), bits: positiveInt(o.pqBits, '--pq-bits'), opq: o.opq ?? false },
            sample: positiveInt(o.sample, '--sample'), chunkRows: positiveInt(o.chunk, '--chunk'),
            onTrainStart: (n) => o.progress && process.stderr.write(`training ${o.method} on ${n.toLocaleString('en-US')} sample vectors…\n`),
            onProgress: bar.update,
          });
          bar.stop();
          if (o.json) process.stdout.write(`${JSON.stringify({ ...s, output: o.out })}\n`);
          else process.stdout.write(`compressed ${s.rows.toLocaleString('en-US')} vectors × ${s.dim} with ${s.method} (${s.recordBytes} bytes each) into ${o.out} in ${s.seconds.toFixed(1)} s\n`);
        } finally {
          bar.stop();
        }
      }),
    );

  program
    .command('decompress')
    .description('decompress a .vqz container into a float32 .npy file')
    .requiredOption('--in <file>', 'input container (.vqz)')
    .requiredOption('--out <file>', 'output .npy (float32)')
    .option('--chunk <n>', 'rows per streaming chunk', '16384')
    .option('--json', 'print the summary as JSON')
    .option('--no-progress', 'no progress bar')
    .action((o: { in: string; out: string; chunk: string; json?: boolean; progress: boolean }) =>
      run(() => {
        const bar = progressBar(o.progress, 'vectors');
        try {
          const s = decompressFile({ input: o.in, output: o.out, chunkRows: positiveInt(o.chunk, '--chunk'), onProgress: bar.update });
          bar.stop();
          if (o.json) process.stdout.write(`${JSON.stringify({ ...s, output: o.out })}\n`);
          else process.stdout.write(`decompressed ${s.rows.toLocaleString('en-US')} vectors × ${s.dim} into ${o.out} in ${s.seconds.toFixed(1)} s\n`);
        } finally {
          bar.stop();
        }
      }),
    );

  program
    .command('eval')
    .description('compare a container with the original: bytes, ratio, mean cosine, recall@k')
    .requiredOption('--orig <file>', 'the original .npy')
    .requiredOption('--comp <file>', 'the container made from it (.vqz)')
    .option('--queries <n>', 'query vectors (rows of the original, excluded from their own results)', '100')
    .option('--k <n>', 'neighbours per query', '10')
    .option('--rescore <n>', 'candidates re-ranked with the originals, as a multiple of k', '10')
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action((o: { orig: string; comp: string; queries: string; k: string; rescore: string; json?: boolean; progress: boolean }) =>
      run(() => {
        const bar = progressBar(o.progress, 'vectors');
        try {
          const r = evaluate({ orig: o.orig, comp: o.comp, queries: positiveInt(o.queries, '--queries'), k: positiveInt(o.k, '--k'), rescore: positiveInt(o.rescore, '--rescore'), onProgress: bar.update });
          bar.stop();
          process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${evalText(r)}\n`);
        } finally {
          bar.stop();
        }
      }),
    );
}
