#!/usr/bin/env node
/** The `vectra` command: serve, keys, tenants, models, import/export, compress/decompress/eval. Flags mirror the environment variables. */
import { Command, Option } from 'commander';
import { ConfigError, ENV, loadConfig, type Config } from '../config.js';
import { benchTable, BENCH_DEFAULT_QUERIES, ModelBench } from '../embed/benchmark.js';
import { setupModels, type Models } from '../embed/setup.js';
import { ServerError, UnreachableError } from './client.js';
import { registerCompressCommands } from './compress.js';
import { exportCollection, importFile } from './import-export.js';
import { isVectraError } from '../errors.js';
import { Accounts, type Scope } from '../services/accounts.js';
import { startServer } from '../server.js';
import { trimWhileBusy, tuneMallocForServer } from '../engine/native-memory.js';

const program = new Command('vectra').description('Vectra vector database').showHelpAfterError();

function dataDirOf(opts: { dataDir?: string }): string {
  return loadConfig(process.env, { dataDir: opts.dataDir }).dataDir;
}

function fail(e: unknown): never {
  const message = isVectraError(e) || e instanceof ConfigError || e instanceof ServerError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`vectra: ${message}\n`);
  process.exit(1);
}

/** The flags of every command that builds the model registry (serve, models …). */
function modelFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory').env(ENV.dataDir))
    .addOption(new Option('--model-cache <dir>', "where the built-in model's converted vectors are cached").env(ENV.modelCacheDir))
    .addOption(new Option('--models-dir <dir>', 'local transformer model files (<dir>/<repo>/)').env(ENV.modelsDir))
    .addOption(new Option('--model-downloads <on|off>', 'download missing transformer models from the Hugging Face hub').env(ENV.modelDownloads))
    .addOption(new Option('--model-hub <url>', 'where transformer models are downloaded from (default https://huggingface.co/)').env(ENV.modelHub))
    .addOption(new Option('--models-config <file>', 'JSON file declaring extra models').env(ENV.modelsConfig))
    .addOption(new Option('--default-model <id>', 'model for collections created without one').env(ENV.defaultModel))
    .addOption(new Option('--embed-threads <n>', 'embedding worker threads').env(ENV.embedThreads))
    .addOption(new Option('--wordnet-dir <dir>', 'WordNet 3.0 data files for the model benchmark').env(ENV.wordnetDir));
}

/** Flags (commander's camelCase names) → the config, validated; exits with the message if bad. */
function configFrom(o: Record<string, string | undefined>): Config {
  try {
    return loadConfig(process.env, {
      host: o.host, port: o.port, dataDir: o.dataDir, modelCacheDir: o.modelCache, logLevel: o.logLevel, registration: o.registration, metrics: o.metrics,
      rateLimitPerMinute: o.rateLimit, bodyLimitBytes: o.bodyLimit, maxBatch: o.maxBatch, maxK: o.maxK, maxDimension: o.maxDimension,
      maxFilterDepth: o.maxFilterDepth, requestTimeoutMs: o.requestTimeoutMs, synchronous: o.synchronous, deferredIndexing: o.deferredIndexing, buildThreads: o.buildThreads,
      maxImportBytes: o.maxImportBytes, maxUploadBytes: o.maxUploadBytes, uploadSyncBytes: o.uploadSyncBytes,
      modelsDir: o.modelsDir, modelDownloads: o.modelDownloads, modelHub: o.modelHub, modelsConfig: o.modelsConfig, defaultModel: o.defaultModel, embedThreads: o.embedThreads,
      wordnetDir: o.wordnetDir, dashboardDir: o.dashboardDir, databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, nodeId: o.nodeId,
      replicas: o.replicas, advertiseUrl: o.advertiseUrl,
    });
  } catch (e) {
    fail(e);
  }
}

/** The model registry as `vectra serve` would build it from the same flags. */
async function modelsFrom(config: Config): Promise<Models> {
  try {
    return await setupModels({
      cacheDir: config.modelCacheDir, modelsDir: config.modelsDir, allowDownload: config.modelDownloads, hubUrl: config.modelHub,
      modelsConfig: config.modelsConfig, defaultModel: config.defaultModel, threads: config.embedThreads ?? undefined,
    });
  } catch (e) {
    fail(e);
  }
}

modelFlags(program.command('serve').description('start the HTTP server'))
  .addOption(new Option('--host <host>', 'address to bind').env(ENV.host))
  .addOption(new Option('--port <port>', 'port (0 = any free port)').env(ENV.port))
  .addOption(new Option('--log-level <level>', 'pino log level').env(ENV.logLevel))
  .addOption(new Option('--dashboard-dir <dir|off>', 'the built dashboard served at / (default web/dist), or off').env(ENV.dashboardDir))
  .addOption(new Option('--registration <mode>', 'open | admin').env(ENV.registration))
  .addOption(new Option('--metrics <mode>', 'who may scrape /metrics: open | admin (the admin token)').env(ENV.metrics))
  .addOption(new Option('--database-url <url>', 'scale-out: PostgreSQL as the system of record (postgres://…)').env(ENV.databaseUrl))
  .addOption(new Option('--redis-url <url>', 'scale-out: Redis shared by the nodes (redis://…)').env(ENV.redisUrl))
  .addOption(new Option('--node-id <id>', "scale-out: this node's name").env(ENV.nodeId))
  .addOption(new Option('--replicas <n>', 'scale-out: nodes serving each collection (default: every node serves every one)').env(ENV.replicas))
  .addOption(new Option('--advertise-url <url>', 'scale-out: the URL other nodes forward requests to (default http://host:port)').env(ENV.advertiseUrl))
  .addOption(new Option('--rate-limit <n>', 'requests per minute per API key').env(ENV.rateLimitPerMinute))
  .addOption(new Option('--body-limit <bytes>', 'largest request body').env(ENV.bodyLimitBytes))
  .addOption(new Option('--max-batch <n>', 'most records per upsert').env(ENV.maxBatch))
  .addOption(new Option('--max-k <n>', 'largest k').env(ENV.maxK))
  .addOption(new Option('--max-dimension <n>', 'largest vector dimension').env(ENV.maxDimension))
  .addOption(new Option('--max-filter-depth <n>', 'deepest filter nesting').env(ENV.maxFilterDepth))
  .addOption(new Option('--request-timeout-ms <ms>', 'time allowed to receive a request').env(ENV.requestTimeoutMs))
  .addOption(new Option('--synchronous <mode>', 'SQLite durability: full | normal').env(ENV.synchronous))
  .addOption(new Option('--deferred-indexing <on|off>', 'large writes join the HNSW graph in the background').env(ENV.deferredIndexing))
  .addOption(new Option('--build-threads <n>', 'threads a background HNSW build inserts with (default: every core)').env(ENV.buildThreads))
  .addOption(new Option('--max-import-bytes <bytes>', 'largest import upload').env(ENV.maxImportBytes))
  .addOption(new Option('--max-upload-bytes <bytes>', 'largest document file upload').env(ENV.maxUploadBytes))
  .addOption(new Option('--upload-sync-bytes <bytes>', 'larger document uploads become background jobs (202)').env(ENV.uploadSyncBytes))
  .action(async (o: Record<string, string | undefined>) => {
    tuneMallocForServer();
    trimWhileBusy();
    const config = configFrom(o);
    let server;
    try {
      server = await startServer(config);
    } catch (e) {
      fail(e);
    }
    server.app.log.info({ url: server.url, dataDir: config.dataDir, registration: config.registration, metrics: config.metrics }, `listening on ${server.url}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.app.log.info({ signal }, 'shutting down: finishing in-flight requests, saving indexes');
      server.close().then(
        () => process.exit(0),
        (e) => {
          process.stderr.write(`vectra: shutdown failed: ${String(e)}\n`);
          process.exit(1);
        },
      );
    };
    // A promise rejected with no handler is a bug to log loudly, not a reason to drop every
    // tenant's connections (Node's default is to exit).
    process.on('unhandledRejection', (err) => server.app.log.error({ err }, 'unhandled promise rejection (a bug: please report it)'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

const keys = program.command('keys').description('manage API keys (works on the data directory directly)');
keys
  .command('create')
  .requiredOption('--tenant <id>', 'tenant id (see: vectra tenants list)')
  .option('--name <name>', 'a label for the key', 'cli')
  .option('--scopes <list>', 'comma-separated: read,write,admin', 'read,write')
  .option('--expires <iso>', 'expiry, ISO 8601 date-time')
  .option('--data-dir <dir>', 'data directory')
  .action((o: { tenant: string; name: string; scopes: string; expires?: string; dataDir?: string }) => {
    const accounts = new Accounts(dataDirOf(o));
    try {
      const scopes = o.scopes.split(',').map((x) => x.trim()) as Scope[];
      const { apiKey, key } = accounts.createKey(o.tenant, o.name, scopes, o.expires ?? null);
      process.stdout.write(`${JSON.stringify({ ...key, apiKey }, null, 2)}\nStore the key now: it is not shown again.\n`);
    } catch (e) {
      fail(e);
    } finally {
      accounts.close();
    }
  });
keys
  .command('list')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--data-dir <dir>', 'data directory')
  .action((o: { tenant: string; dataDir?: string }) => {
    const accounts = new Accounts(dataDirOf(o));
    process.stdout.write(`${JSON.stringify(accounts.listKeys(o.tenant), null, 2)}\n`);
    accounts.close();
  });
keys
  .command('revoke <keyId>')
  .option('--data-dir <dir>', 'data directory')
  .action((keyId: string, o: { dataDir?: string }) => {
    const accounts = new Accounts(dataDirOf(o));
    try {
      accounts.revokeKey(null, keyId);
      process.stdout.write(`revoked ${keyId}\n`);
    } catch (e) {
      fail(e);
    } finally {
      accounts.close();
    }
  });

program
  .command('tenants')
  .description('tenants')
  .command('list')
  .option('--data-dir <dir>', 'data directory')
  .action((o: { dataDir?: string }) => {
    const accounts = new Accounts(dataDirOf(o));
    process.stdout.write(`${JSON.stringify(accounts.tenants(), null, 2)}\n`);
    accounts.close();
  });

const models = program.command('models').description('embedding models (run here, not through a server)');
modelFlags(models.command('list').description('the models this configuration offers'))
  .option('--json', 'print JSON')
  .action(async (o: Record<string, string | undefined> & { json?: boolean }) => {
    const m = await modelsFrom(configFrom(o));
    const rows = await Promise.all(
      m.registry.list().map(async (x) => ({ id: x.id, provider: x.provider, dimension: x.dimension, default: x.id === m.registry.defaultId, ...(await x.availability()), description: x.description })),
    );
    await m.close();
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ models: rows }, null, 2)}\n`);
      return;
    }
    const lines = ['| id | provider | dim | available | description |', '|---|---|---|---|---|'];
    for (const r of rows) lines.push(`| ${r.id}${r.default ? ' (default)' : ''} | ${r.provider} | ${r.dimension} | ${r.available ? 'yes' : 'no'} | ${r.description} |`);
    const missing = rows.filter((r) => !r.available);
    if (missing.length > 0) lines.push('', 'Not available here:', ...missing.map((r) => `- ${r.id}: ${r.reason}`));
    process.stdout.write(`${lines.join('\n')}\n`);
  });
modelFlags(models.command('bench').description('throughput and retrieval quality (WordNet example → sense) per model'))
  .option('--models <ids>', 'comma-separated model ids (default: every model that runs on this machine without a network call)')
  .option('--queries <n>', 'queries in the WordNet task', String(BENCH_DEFAULT_QUERIES))
  .option('--json', 'print JSON')
  .action(async (o: Record<string, string | undefined> & { json?: boolean }) => {
    const config = configFrom(o);
    const m = await modelsFrom(config);
    const bench = new ModelBench(m.registry, m.pool, config.wordnetDir);
    let report;
    try {
      report = await bench.run({ models: o.models?.split(',').map((x) => x.trim()).filter(Boolean), queries: Number(o.queries) }, (row, done, total) => {
        const what = 'error' in row ? `failed: ${row.error.message}` : `${row.textsPerSecond.toLocaleString('en-US')} texts/s, accuracy@1 ${row.accuracyAt1.toFixed(3)} (${row.seconds.toFixed(1)} s)`;
        process.stderr.write(`[${done}/${total}] ${row.model}: ${what}\n`);
      });
    } catch (e) {
      await m.close();
      fail(e);
    }
    await m.close();
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${report.task.description}; ${report.task.queries} queries, k = ${report.task.k}\n\n${benchTable(report)}\n`);
  });

/** Where the server is and the key to use: flags, else VECTRA_URL / VECTRA_API_KEY. */
function serverFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'the Vectra server').env('VECTRA_URL').default('http://127.0.0.1:8080'))
    .addOption(new Option('--key <apiKey>', 'API key (better: the VECTRA_API_KEY environment variable)').env('VECTRA_API_KEY'))
    .requiredOption('--collection <name>', 'collection');
}

/** What to check when the server cannot be reached: whether it runs, and where the URL came from. */
function serverFailure(e: unknown, cmd: Command): unknown {
  if (!(e instanceof UnreachableError)) return e;
  const from = { cli: 'comes from --url', env: 'comes from VECTRA_URL', default: 'is the default' }[cmd.getOptionValueSource('url') as string] ?? 'was given';
  return new Error(`${e.message}. Is the server running (vectra serve), and on this address? This URL ${from}: point the CLI at your server with --url <url> or VECTRA_URL.`);
}

function needKey(o: { key?: string }): string {
  if (!o.key) fail(new Error('an API key is needed: set VECTRA_API_KEY (or pass --key)'));
  return o.key;
}

serverFlags(program.command('import <file>').description('load .ndjson, .jsonl, .json or .csv records into a collection of a running server'))
  .option('--text-field <name>', 'field holding the text to embed', 'text')
  .option('--id-field <name>', 'field holding the record id', 'id')
  .option('--vector-field <name>', 'field holding a vector (JSON array in CSV)', 'vector')
  .option('--batch <n>', 'records per request', '10000')
  .option('--no-progress', 'no progress bar')
  .action(async (file: string, o: { url: string; key?: string; collection: string; textField: string; idField: string; vectorField: string; batch: string; progress: boolean }, cmd: Command) => {
    const batch = Number(o.batch);
    if (!Number.isInteger(batch) || batch < 1) fail(new Error('--batch must be a positive integer'));
    let s;
    try {
      s = await importFile({ ...o, key: needKey(o), file, batch, progress: o.progress && process.stderr.isTTY === true });
    } catch (e) {
      fail(serverFailure(e, cmd));
    }
    const rate = Math.round(s.upserted / Math.max(s.seconds, 1e-9));
    process.stdout.write(`imported ${s.upserted.toLocaleString('en-US')} of ${s.rows.toLocaleString('en-US')} records into "${o.collection}" in ${s.seconds.toFixed(1)} s (${rate.toLocaleString('en-US')} records/s); ${s.errors.length} failed\n`);
    for (const e of s.errors.slice(0, 20)) process.stdout.write(`  line ${e.line}: ${e.code}: ${e.message}\n`);
    if (s.errors.length > 20) process.stdout.write(`  … and ${s.errors.length - 20} more\n`);
    // 2: the run finished, but some records were not imported.
    process.exitCode = s.errors.length > 0 ? 2 : 0;
  });

serverFlags(program.command('export').description("write a collection's records as NDJSON (what import reads back)"))
  .option('--out <file>', 'file to write (default: standard output)')
  .option('--include-vector', 'include each record\'s vector')
  .action(async (o: { url: string; key?: string; collection: string; out?: string; includeVector?: boolean }, cmd: Command) => {
    try {
      const n = await exportCollection({ url: o.url, key: needKey(o), collection: o.collection, out: o.out ?? null, includeVector: o.includeVector ?? false });
      if (o.out) process.stderr.write(`exported ${n.toLocaleString('en-US')} records to ${o.out}\n`);
    } catch (e) {
      fail(serverFailure(e, cmd));
    }
  });

registerCompressCommands(program);

await program.parseAsync(process.argv);
