/**
 * One typed configuration, from environment variables with CLI overrides, validated at
 * start: a bad value stops the server with a message naming the variable.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where transformer models are downloaded from unless VECTRA_MODEL_HUB names a mirror. */
export const DEFAULT_HUB_URL = 'https://huggingface.co/';

/** Where Debian's wordnet-base puts WordNet 3.0's data files. */
export const WORDNET_DEFAULT_DIR = '/usr/share/wordnet';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Where the built-in model's converted word vectors (and downloaded models, under hub/) are cached. */
  modelCacheDir: string;
  /** Local transformer model files, <modelsDir>/<repo>/ (e.g. models/Xenova/all-MiniLM-L6-v2). */
  modelsDir: string | null;
  /** Whether transformer models missing locally may be downloaded from the Hugging Face hub. */
  modelDownloads: boolean;
  /** The hub (or a mirror) downloads come from; its reachability decides whether such models are available. */
  modelHub: string;
  /** JSON file declaring extra models (remote providers, more ONNX models). */
  modelsConfig: string | null;
  /** Model for collections created without one (default glove-100d-v2). */
  defaultModel: string | null;
  /** Embedding worker threads (default: one per core). */
  embedThreads: number | null;
  /** WordNet 3.0 data files for the model benchmark (default /usr/share/wordnet, Debian's wordnet-base). */
  wordnetDir: string;
  logLevel: string;
  /** The built dashboard (index.html and assets) served at /, or null for none. */
  dashboardDir: string | null;
  /** Who may call POST /v1/auth/register. */
  registration: 'open' | 'admin';
  /** Who may scrape GET /metrics (server-wide figures): anyone, or callers with the admin token. */
  metrics: 'open' | 'admin';
  adminToken: string | null;
  /** Scale-out (docs/scale-out.md): PostgreSQL as the system of record; null = the embedded single-process mode. */
  databaseUrl: string | null;
  /** Scale-out: Redis for what nodes share at a high rate (rate limits); null = each node on its own. */
  redisUrl: string | null;
  /** This node's name in the cluster (default: host:port and a random suffix). */
  nodeId: string | null;
  /** Scale-out placement: how many nodes serve each collection; null = every node serves every collection. */
  replicas: number | null;
  /** Scale-out: the URL other nodes forward requests to this one at (default http://host:port as bound). */
  advertiseUrl: string | null;
  limits: {
    rateLimitPerMinute: number;
    bodyLimitBytes: number;
    maxBatch: number;
    maxK: number;
    maxDimension: number;
    maxFilterDepth: number;
    requestTimeoutMs: number;
    /** Largest import upload (POST …/imports), saved to disk before it is imported. */
    maxImportBytes: number;
    /** Largest document file (POST …/documents/upload), read into memory to extract its text. */
    maxUploadBytes: number;
    /** Larger document files are stored by a background job (202) instead of before the answer (201). */
    uploadSyncBytes: number;
    /** Clustering over more vectors than this runs as a background job (202 with the job). */
    insightsJobThreshold: number;
  };
  /** SQLite durability for collections: full (default) or normal. */
  synchronous: 'full' | 'normal';
  /** Large writes join the HNSW graph in the background (searched exactly until then). */
  deferredIndexing: boolean;
  /** Threads a background graph build inserts with (default: every core). */
  buildThreads: number;
  /** The change feed keeps a change while either holds: younger than minAgeMs, or among the minCount newest. */
  changeRetention: { minAgeMs: number; minCount: number };
  /** Chat's semantic cache: the cosine at which questions are the same, entries per tenant, age. */
  chatCache: { threshold: number; maxEntries: number; ttlMs: number };
  realtime: {
    /** WebSocket: largest message accepted, connections per API key, requests in flight per connection. */
    wsMaxMessageBytes: number;
    wsMaxConnectionsPerKey: number;
    wsMaxInFlight: number;
    /** Bytes a connection may have waiting to be sent before it is closed as a slow reader. */
    wsMaxBufferedBytes: number;
    /** A connection without a key in its headers must send an `auth` message within this time. */
    wsAuthTimeoutMs: number;
    /** Webhook URLs may point at loopback, private, link-local and metadata addresses. */
    webhookAllowPrivate: boolean;
    webhooks: WebhookSettings;
  };
}

/** Webhook delivery (src/realtime/webhooks/): every timing is a setting, so tests can run fast. */
export interface WebhookSettings {
  /** Deadline of one delivery attempt. */
  timeoutMs: number;
  /** Backoff: attempt n+1 waits a random time in [0, min(retryMaxMs, retryBaseMs·2^(n-1))). */
  retryBaseMs: number;
  /** Longest wait between attempts; a receiver's Retry-After is capped to it too. */
  retryMaxMs: number;
  /** Attempts before a delivery has failed. */
  maxAttempts: number;
  /** Failed deliveries in a row that disable a webhook (0: never). */
  disableAfter: number;
  /** Attempts in flight, in all and per webhook. */
  concurrency: number;
  concurrencyPerWebhook: number;
  /** Longest pause between looks at the outbox; the change feeds are swept every 10 × this (writes wake both at once). */
  pollMs: number;
  /** Wait after a write wakes the feed pump: writes in that window share one outbox transaction. */
  pumpDelayMs: number;
  /** Webhooks a tenant may have. */
  maxPerTenant: number;
  /** Pending deliveries a webhook may have; past it new events are counted as missed, not queued. */
  maxPending: number;
  /** Delivered and failed deliveries are kept this long for GET …/deliveries. */
  deliveryRetentionMs: number;
}

export type ConfigOverrides = Partial<Record<keyof typeof ENV, string | undefined>>;

/** Environment variable for each setting (CLI flags mirror them). */
export const ENV = {
  host: 'HOST',
  port: 'PORT',
  dataDir: 'VECTRA_DATA_DIR',
  modelCacheDir: 'VECTRA_MODEL_CACHE',
  modelsDir: 'VECTRA_MODELS_DIR',
  modelDownloads: 'VECTRA_MODEL_DOWNLOADS',
  modelHub: 'VECTRA_MODEL_HUB',
  modelsConfig: 'VECTRA_MODELS_CONFIG',
  defaultModel: 'VECTRA_DEFAULT_MODEL',
  embedThreads: 'VECTRA_EMBED_THREADS',
  wordnetDir: 'VECTRA_WORDNET_DIR',
  logLevel: 'VECTRA_LOG_LEVEL',
  dashboardDir: 'VECTRA_DASHBOARD_DIR',
  registration: 'VECTRA_REGISTRATION',
  metrics: 'VECTRA_METRICS',
  adminToken: 'VECTRA_ADMIN_TOKEN',
  databaseUrl: 'VECTRA_DATABASE_URL',
  redisUrl: 'VECTRA_REDIS_URL',
  nodeId: 'VECTRA_NODE_ID',
  replicas: 'VECTRA_REPLICAS',
  advertiseUrl: 'VECTRA_ADVERTISE_URL',
  rateLimitPerMinute: 'VECTRA_RATE_LIMIT',
  bodyLimitBytes: 'VECTRA_BODY_LIMIT',
  maxBatch: 'VECTRA_MAX_BATCH',
  maxK: 'VECTRA_MAX_K',
  maxDimension: 'VECTRA_MAX_DIMENSION',
  maxFilterDepth: 'VECTRA_MAX_FILTER_DEPTH',
  requestTimeoutMs: 'VECTRA_REQUEST_TIMEOUT_MS',
  maxImportBytes: 'VECTRA_MAX_IMPORT_BYTES',
  maxUploadBytes: 'VECTRA_MAX_UPLOAD_BYTES',
  uploadSyncBytes: 'VECTRA_UPLOAD_SYNC_BYTES',
  insightsJobThreshold: 'VECTRA_INSIGHTS_JOB_THRESHOLD',
  chatCacheThreshold: 'VECTRA_CHAT_CACHE_THRESHOLD',
  chatCacheEntries: 'VECTRA_CHAT_CACHE_ENTRIES',
  chatCacheTtlSeconds: 'VECTRA_CHAT_CACHE_TTL_SECONDS',
  synchronous: 'VECTRA_SYNCHRONOUS',
  deferredIndexing: 'VECTRA_DEFERRED_INDEXING',
  buildThreads: 'VECTRA_BUILD_THREADS',
  changeRetentionSeconds: 'VECTRA_CHANGES_RETENTION_SECONDS',
  changeRetentionCount: 'VECTRA_CHANGES_RETENTION_COUNT',
  wsMaxMessageBytes: 'VECTRA_WS_MAX_MESSAGE_BYTES',
  wsMaxConnectionsPerKey: 'VECTRA_WS_MAX_CONNECTIONS_PER_KEY',
  wsMaxInFlight: 'VECTRA_WS_MAX_IN_FLIGHT',
  wsMaxBufferedBytes: 'VECTRA_WS_MAX_BUFFERED_BYTES',
  wsAuthTimeoutMs: 'VECTRA_WS_AUTH_TIMEOUT_MS',
  webhookAllowPrivate: 'VECTRA_WEBHOOK_ALLOW_PRIVATE',
  webhookTimeoutMs: 'VECTRA_WEBHOOK_TIMEOUT_MS',
  webhookRetryBaseMs: 'VECTRA_WEBHOOK_RETRY_BASE_MS',
  webhookRetryMaxMs: 'VECTRA_WEBHOOK_RETRY_MAX_MS',
  webhookMaxAttempts: 'VECTRA_WEBHOOK_MAX_ATTEMPTS',
  webhookDisableAfter: 'VECTRA_WEBHOOK_DISABLE_AFTER',
  webhookConcurrency: 'VECTRA_WEBHOOK_CONCURRENCY',
  webhookConcurrencyPerWebhook: 'VECTRA_WEBHOOK_CONCURRENCY_PER_WEBHOOK',
  webhookPollMs: 'VECTRA_WEBHOOK_POLL_MS',
  webhookPumpDelayMs: 'VECTRA_WEBHOOK_PUMP_DELAY_MS',
  webhookMaxPerTenant: 'VECTRA_WEBHOOK_MAX_PER_TENANT',
  webhookMaxPending: 'VECTRA_WEBHOOK_MAX_PENDING',
  webhookDeliveryRetentionSeconds: 'VECTRA_WEBHOOK_DELIVERY_RETENTION_SECONDS',
} as const;

/** Where `vite build` puts the dashboard: web/dist at the repository root (same path from src/ and dist/). */
export const BUILT_DASHBOARD_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export class ConfigError extends Error {}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const get = (key: keyof typeof ENV): string | undefined => overrides[key] ?? env[ENV[key]] ?? undefined;
  const int = (key: keyof typeof ENV, def: number, min: number, max: number): number => {
    const raw = get(key);
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${ENV[key]}=${raw}: expected an integer from ${min} to ${max}`);
    return n;
  };
  const fraction = (key: keyof typeof ENV, def: number): number => {
    const raw = get(key);
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > 1) throw new ConfigError(`${ENV[key]}=${raw}: expected a number in (0, 1]`);
    return n;
  };
  const host = get('host') || '127.0.0.1';
  const dataDir = resolve(get('dataDir') || './data');
  const adminToken = get('adminToken') || null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError(`${ENV.adminToken} must be at least 16 characters`);
  // Registration and /metrics: open by default only on loopback; anywhere else they need the admin token.
  const openOnLoopback = (key: 'registration' | 'metrics'): 'open' | 'admin' => {
    const v = get(key);
    if (v === 'open' || v === 'admin') return v;
    if (v !== undefined && v !== '') throw new ConfigError(`${ENV[key]}=${v}: expected "open" or "admin"`);
    return isLoopback(host) ? 'open' : 'admin';
  };
  const registration = openOnLoopback('registration');
  const metrics = openOnLoopback('metrics');
  const sync = get('synchronous') || 'full';
  if (sync !== 'full' && sync !== 'normal') throw new ConfigError(`${ENV.synchronous}=${sync}: expected "full" or "normal"`);
  const deferred = get('deferredIndexing') || 'on';
  if (deferred !== 'on' && deferred !== 'off') throw new ConfigError(`${ENV.deferredIndexing}=${deferred}: expected "on" or "off"`);
  const dashboard = get('dashboardDir') || BUILT_DASHBOARD_DIR;
  const downloads = get('modelDownloads') || 'on';
  if (downloads !== 'on' && downloads !== 'off') throw new ConfigError(`${ENV.modelDownloads}=${downloads}: expected "on" or "off"`);
  const allowPrivate = get('webhookAllowPrivate') || 'false';
  if (allowPrivate !== 'true' && allowPrivate !== 'false') throw new ConfigError(`${ENV.webhookAllowPrivate}=${allowPrivate}: expected "true" or "false"`);
  const databaseUrl = get('databaseUrl') || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError(`${ENV.databaseUrl}: expected a postgres:// or postgresql:// URL`);
  const redisUrl = get('redisUrl') || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError(`${ENV.redisUrl}: expected a redis:// or rediss:// URL`);
  if (redisUrl !== null && databaseUrl === null) throw new ConfigError(`${ENV.redisUrl} is for the scale-out mode: set ${ENV.databaseUrl} too`);
  const replicas = get('replicas') ? int('replicas', 0, 1, 64) : null;
  if (replicas !== null && databaseUrl === null) throw new ConfigError(`${ENV.replicas} is for the scale-out mode: set ${ENV.databaseUrl} too`);
  const advertiseUrl = get('advertiseUrl') || null;
  if (advertiseUrl !== null && !/^https?:\/\/[^/\s]+\/?$/.test(advertiseUrl)) throw new ConfigError(`${ENV.advertiseUrl}=${advertiseUrl}: expected http(s)://host:port, the address other nodes reach this one at`);
  const hub = get('modelHub') || DEFAULT_HUB_URL;
  if (!/^https?:\/\/[^/\s]+/.test(hub)) throw new ConfigError(`${ENV.modelHub}=${hub}: expected an http(s) URL such as ${DEFAULT_HUB_URL}`);
  return {
    host,
    port: int('port', 8080, 0, 65535),
    dataDir,
    modelCacheDir: resolve(get('modelCacheDir') || resolve(dataDir, 'models')),
    modelsDir: get('modelsDir') ? resolve(get('modelsDir')!) : null,
    modelDownloads: downloads === 'on',
    modelHub: hub.endsWith('/') ? hub : `${hub}/`,
    modelsConfig: get('modelsConfig') ? resolve(get('modelsConfig')!) : null,
    defaultModel: get('defaultModel') || null,
    embedThreads: get('embedThreads') ? int('embedThreads', 0, 1, 256) : null,
    wordnetDir: resolve(get('wordnetDir') || WORDNET_DEFAULT_DIR),
    logLevel: get('logLevel') || 'info',
    dashboardDir: dashboard === 'off' ? null : resolve(dashboard),
    registration,
    metrics,
    adminToken,
    databaseUrl,
    redisUrl,
    nodeId: get('nodeId') || null,
    replicas,
    advertiseUrl: advertiseUrl?.replace(/\/$/, '') ?? null,
    synchronous: sync,
    deferredIndexing: deferred === 'on',
    buildThreads: int('buildThreads', availableParallelism(), 1, 256),
    chatCache: {
      threshold: fraction('chatCacheThreshold', 0.95),
      maxEntries: int('chatCacheEntries', 1000, 0, 1_000_000),
      ttlMs: int('chatCacheTtlSeconds', 3600, 1, 30 * 24 * 3600) * 1000,
    },
    changeRetention: {
      minAgeMs: int('changeRetentionSeconds', 7 * 24 * 3600, 0, 100 * 365 * 24 * 3600) * 1000,
      // At least 100: a follower at the head must never find the write that woke it gone.
      minCount: int('changeRetentionCount', 1_000_000, 100, Number.MAX_SAFE_INTEGER),
    },
    realtime: {
      wsMaxMessageBytes: int('wsMaxMessageBytes', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      wsMaxConnectionsPerKey: int('wsMaxConnectionsPerKey', 100, 1, 1_000_000),
      wsMaxInFlight: int('wsMaxInFlight', 32, 1, 10_000),
      wsMaxBufferedBytes: int('wsMaxBufferedBytes', 16 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
      wsAuthTimeoutMs: int('wsAuthTimeoutMs', 10_000, 100, 600_000),
      webhookAllowPrivate: allowPrivate === 'true',
      webhooks: {
        timeoutMs: int('webhookTimeoutMs', 10_000, 10, 600_000),
        retryBaseMs: int('webhookRetryBaseMs', 10_000, 1, 86_400_000),
        retryMaxMs: int('webhookRetryMaxMs', 3_600_000, 1, 7 * 86_400_000),
        maxAttempts: int('webhookMaxAttempts', 12, 1, 100),
        disableAfter: int('webhookDisableAfter', 5, 0, 1_000_000),
        concurrency: int('webhookConcurrency', 16, 1, 1000),
        concurrencyPerWebhook: int('webhookConcurrencyPerWebhook', 8, 1, 1000),
        pollMs: int('webhookPollMs', 2000, 10, 600_000),
        pumpDelayMs: int('webhookPumpDelayMs', 0, 0, 60_000),
        maxPerTenant: int('webhookMaxPerTenant', 50, 1, 100_000),
        maxPending: int('webhookMaxPending', 100_000, 1, 100_000_000),
        deliveryRetentionMs: int('webhookDeliveryRetentionSeconds', 7 * 24 * 3600, 60, 100 * 365 * 24 * 3600) * 1000,
      },
    },
    limits: {
      rateLimitPerMinute: int('rateLimitPerMinute', 6000, 1, 10_000_000),
      bodyLimitBytes: int('bodyLimitBytes', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxBatch: int('maxBatch', 1000, 1, 100_000),
      maxK: int('maxK', 1000, 1, 10_000),
      maxDimension: int('maxDimension', 4096, 1, 65536),
      maxFilterDepth: int('maxFilterDepth', 16, 1, 64),
      requestTimeoutMs: int('requestTimeoutMs', 30_000, 100, 3_600_000),
      maxImportBytes: int('maxImportBytes', 8 * 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER),
      maxUploadBytes: int('maxUploadBytes', 50 * 1024 * 1024, 1024, 2 * 1024 ** 3),
      uploadSyncBytes: int('uploadSyncBytes', 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
      insightsJobThreshold: int('insightsJobThreshold', 50_000, 0, Number.MAX_SAFE_INTEGER),
    },
  };
}
