#!/usr/bin/env node
/** The `vectra` command: serve, keys, tenants. Flags mirror the environment variables. */
import { Command, Option } from 'commander';
import { ConfigError, ENV, loadConfig, type ConfigOverrides } from '../config.js';
import { isVectraError } from '../errors.js';
import { Accounts, type Scope } from '../services/accounts.js';
import { startServer } from '../server.js';

const program = new Command('vectra').description('Vectra vector database').showHelpAfterError();

function dataDirOf(opts: { dataDir?: string }): string {
  return loadConfig(process.env, { dataDir: opts.dataDir }).dataDir;
}

function fail(e: unknown): never {
  process.stderr.write(`vectra: ${isVectraError(e) || e instanceof ConfigError ? e.message : String(e)}\n`);
  process.exit(1);
}

program
  .command('serve')
  .description('start the HTTP server')
  .addOption(new Option('--host <host>', 'address to bind').env(ENV.host))
  .addOption(new Option('--port <port>', 'port (0 = any free port)').env(ENV.port))
  .addOption(new Option('--data-dir <dir>', 'data directory').env(ENV.dataDir))
  .addOption(new Option('--model-cache <dir>', "where the built-in model's converted vectors are cached").env(ENV.modelCacheDir))
  .addOption(new Option('--models-dir <dir>', 'local transformer model files (<dir>/<repo>/)').env(ENV.modelsDir))
  .addOption(new Option('--model-downloads <on|off>', 'download missing transformer models from the Hugging Face hub').env(ENV.modelDownloads))
  .addOption(new Option('--models-config <file>', 'JSON file declaring extra models').env(ENV.modelsConfig))
  .addOption(new Option('--default-model <id>', 'model for collections created without one').env(ENV.defaultModel))
  .addOption(new Option('--embed-threads <n>', 'embedding worker threads').env(ENV.embedThreads))
  .addOption(new Option('--log-level <level>', 'pino log level').env(ENV.logLevel))
  .addOption(new Option('--registration <mode>', 'open | admin').env(ENV.registration))
  .addOption(new Option('--rate-limit <n>', 'requests per minute per API key').env(ENV.rateLimitPerMinute))
  .addOption(new Option('--body-limit <bytes>', 'largest request body').env(ENV.bodyLimitBytes))
  .addOption(new Option('--max-batch <n>', 'most records per upsert').env(ENV.maxBatch))
  .addOption(new Option('--max-k <n>', 'largest k').env(ENV.maxK))
  .addOption(new Option('--max-dimension <n>', 'largest vector dimension').env(ENV.maxDimension))
  .addOption(new Option('--max-filter-depth <n>', 'deepest filter nesting').env(ENV.maxFilterDepth))
  .addOption(new Option('--request-timeout-ms <ms>', 'time allowed to receive a request').env(ENV.requestTimeoutMs))
  .addOption(new Option('--synchronous <mode>', 'SQLite durability: full | normal').env(ENV.synchronous))
  .action(async (o: Record<string, string | undefined>) => {
    let config;
    try {
      const overrides: ConfigOverrides = {
        host: o.host, port: o.port, dataDir: o.dataDir, modelCacheDir: o.modelCache, logLevel: o.logLevel, registration: o.registration,
        rateLimitPerMinute: o.rateLimit, bodyLimitBytes: o.bodyLimit, maxBatch: o.maxBatch, maxK: o.maxK, maxDimension: o.maxDimension,
        maxFilterDepth: o.maxFilterDepth, requestTimeoutMs: o.requestTimeoutMs, synchronous: o.synchronous,
        modelsDir: o.modelsDir, modelDownloads: o.modelDownloads, modelsConfig: o.modelsConfig, defaultModel: o.defaultModel, embedThreads: o.embedThreads,
      };
      config = loadConfig(process.env, overrides);
    } catch (e) {
      fail(e);
    }
    let server;
    try {
      server = await startServer(config);
    } catch (e) {
      fail(e);
    }
    server.app.log.info({ url: server.url, dataDir: config.dataDir, registration: config.registration }, `listening on ${server.url}`);
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

await program.parseAsync(process.argv);
