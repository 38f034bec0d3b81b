/**
 * Assemble the service: system database, tenant spaces, models, HTTP app. `close()` stops
 * accepting, lets in-flight requests finish, then saves index snapshots and closes files.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino from 'pino';
import { buildApp, REQUEST_LOG_MESSAGE } from './api/app.js';
import { lazyCompilers, type RouteKey } from './api/lazy-compilers.js';
import { logDestination } from './log-destination.js';
import type { App, Services } from './api/context.js';
import type { Config } from './config.js';
import { ModelBench } from './embed/benchmark.js';
import { setupModels } from './embed/setup.js';
import { DEFAULT_FILTER_LIMITS } from './engine/filter.js';
import { Accounts } from './services/accounts.js';
import { CollectionService } from './services/collections.js';
import { DocumentService } from './services/documents.js';
import { EmbeddingService, isZeroVector } from './services/embedding.js';
import { toVector } from './engine/validation.js';
import { IngestService } from './services/ingest.js';
import { Jobs } from './services/jobs.js';
import { InsightsService } from './services/insights/insights.js';
import { FeedbackStore } from './services/feedback.js';
import type { ClusterNode } from './cluster/node.js';
import { localAccountWrites, type AccountWrites } from './services/writes.js';
import { SearchRecorder } from './services/insights/recording.js';
import { SearchRecordings } from './services/insights/replay.js';
import { QdrantService } from './services/qdrant/service.js';
import { RecordService } from './services/records.js';
import { QueryExpander } from './services/expansion.js';
import { SearchService } from './services/search.js';
import { ServerStats } from './services/stats.js';
import { TenantSpaces } from './services/tenant-spaces.js';
import { WebhookService } from './services/webhooks.js';
import { EventBus } from './realtime/bus.js';
import { ChatService, type CachedAnswer } from './rag/chat.js';
import { SemanticCache } from './rag/semantic-cache.js';
import { ConversationStore, type Conversations } from './rag/conversations.js';
import { LlmRegistry, RemoteLlm } from './rag/llm.js';

/** Routes whose schemas are compiled as soon as the server is ready (lazy-compilers.ts). */
export const HOT_ROUTES: readonly RouteKey[] = [
  ['POST', '/v1/collections/:name/search'],
  ['POST', '/v1/collections/:name/records'],
];

export interface RunningServer {
  app: App;
  services: Services;
  /** http://host:port the server listens on. */
  url: string;
  /** Resolves when collections and the models they use are loaded. */
  ready: Promise<void>;
  /** Resolves, after `ready`, to the number of HOT_ROUTES schemas compiled ahead of their first requests. */
  precompiled: Promise<number>;
  close(): Promise<void>;
}

async function loadClusterParts() {
  const [{ ClusterNode }, { PgConversations }, { PgJobQueue }, { SharedRedis }, { clusterWebhooks }, { RedisSemanticCache }] = await Promise.all([
    import('./cluster/node.js'),
    import('./cluster/conversations.js'),
    import('./cluster/jobs.js'),
    import('./cluster/redis.js'),
    import('./cluster/webhook-pump.js'),
    import('./cluster/chat-cache.js'),
  ]);
  return { ClusterNode, PgConversations, PgJobQueue, SharedRedis, clusterWebhooks, RedisSemanticCache };
}

/** How long a search asking for `consistency: "strong"` or `minSeq` waits for this node's replica (then 503 REPLICA_BEHIND). */
const CONSISTENCY_WAIT_MS = 10_000;

export async function startServer(config: Config): Promise<RunningServer> {
  const { destination, flushNow: flushLog, stop: stopFlushing } = logDestination(1);
  const flushAtExit = () => {
    try {
      destination.flushSync();
    } catch {
      // a write is still in flight: it completes on its own
    }
  };
  process.once('exit', flushAtExit);
  const logger = pino(
    {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-admin-token"]'],
      hooks: {
        logMethod(args, method) {
          method.apply(this, args);
          if (args[1] !== REQUEST_LOG_MESSAGE) flushLog();
        },
      },
    },
    destination,
  );
  const accounts = new Accounts(config.dataDir);
  const modelSetup = await setupModels({
    cacheDir: config.modelCacheDir,
    modelsDir: config.modelsDir,
    allowDownload: config.modelDownloads,
    hubUrl: config.modelHub,
    modelsConfig: config.modelsConfig,
    defaultModel: config.defaultModel,
    threads: config.embedThreads ?? undefined,
  });
  const models = modelSetup.registry;
  const busLog = logger.child({ component: 'events' });
  const bus = new EventBus((err, e) => busLog.error({ err: err.message, type: e.type }, 'event subscriber failed'));
  const spaces = new TenantSpaces(
    config.dataDir,
    {
    logger: logger.child({ component: 'engine' }),
    synchronous: config.synchronous,
    deferIndexing: config.deferredIndexing,
    buildThreads: config.buildThreads,
    filterLimits: { ...DEFAULT_FILTER_LIMITS, maxDepth: config.limits.maxFilterDepth },
    changeRetention: config.changeRetention,
    },
    {
      onChange: (tenantId, collection, b) => bus.publish(tenantId, b.op === 'upsert' ? 'record.upserted' : 'record.deleted', { collection, ids: b.ids, fromSeq: b.fromSeq, seq: b.seq }),
      onIndexBuilt: (tenantId, collection, b) => bus.publish(tenantId, 'index.built', { collection, ...b }),
    },
  );
  const embedding = new EmbeddingService(models, modelSetup.rerankers);
  const collections = new CollectionService(spaces, embedding, config.limits.maxDimension, bus);
  // Scale-out (docs/scale-out.md): PostgreSQL is the system of record, this node serves replicas.
  // Loaded only in that mode: the embedded mode never loads the PostgreSQL driver.
  const clusterParts = config.databaseUrl ? await loadClusterParts() : null;
  const cluster = clusterParts && config.databaseUrl
    ? new clusterParts.ClusterNode({
        url: config.databaseUrl,
        nodeId: config.nodeId ?? `${hostname()}:${config.port}:${randomUUID().slice(0, 8)}`,
        dataDir: config.dataDir,
        replicas: config.replicas,
        advertiseUrl: config.advertiseUrl,
        accounts,
        spaces,
        log: logger.child({ component: 'cluster' }),
        changeRetention: config.changeRetention,
      })
    : null;
  // Redis (optional): rate limits counted across the nodes, the chat's semantic cache; nothing durable is kept there.
  const redis = config.redisUrl && clusterParts ? new clusterParts.SharedRedis(config.redisUrl, logger.child({ component: 'redis' })) : null;
  if (cluster) collections.useCluster(cluster.writes, cluster.catalog, cluster.feed, cluster.placement ? cluster : null);
  const accountWrites: AccountWrites = cluster?.accountWrites ?? localAccountWrites(accounts);
  const ingest = new IngestService(collections, embedding);
  const jobLog = logger.child({ component: 'jobs' });
  const documents = new DocumentService(collections, embedding);
  const jobs = new Jobs(config.dataDir, ingest, documents, { error: (o, msg) => jobLog.error(o, msg) }, (tenantId, job) =>
    bus.publish(tenantId, job.status === 'done' ? 'job.completed' : 'job.failed', { job }),
  );
  // Scale-out: jobs and their uploads in PostgreSQL, run by whichever node claims them (src/cluster/jobs.ts).
  if (cluster) jobs.useQueue(new clusterParts!.PgJobQueue(cluster.pool, cluster.nodeId, jobLog));
  const hookLog = logger.child({ component: 'webhooks' });
  const hookLogger = { warn: (o: object, msg: string) => hookLog.warn(o, msg), error: (o: object, msg: string) => hookLog.error(o, msg) };
  const webhooks = new WebhookService({
    dataDir: config.dataDir,
    settings: config.realtime.webhooks,
    allowPrivate: config.realtime.webhookAllowPrivate,
    bus,
    source: { collections: (tenantId) => spaces.of(tenantId).collections() },
    log: hookLogger,
    userAgent: 'Vectra-Webhooks/1 (+https://www.standardwebhooks.com)',
    // Scale-out: webhooks and their outbox in PostgreSQL, shared by the nodes.
    outbox: cluster ? clusterParts!.clusterWebhooks(cluster, bus, config.realtime.webhooks, hookLogger) : undefined,
  });
  const feedback = new FeedbackStore(config.dataDir);
  
  collections.onDrop.push((tenantId, name) => search.forgetFeedback(tenantId, name));
  const recordLog = logger.child({ component: 'recordings' });
  const recorder = new SearchRecorder((o, msg) => recordLog.warn(o, msg));
  const search = new SearchService(collections, embedding, modelSetup.rerankers, recorder, feedback, new QueryExpander(embedding, modelSetup.thesaurus));
  if (cluster) {
    search.useConsistency(async (tenantId, name, _c, want) => {
      if (want.strong) await cluster.current(tenantId, name, CONSISTENCY_WAIT_MS);
      if (want.minSeq !== undefined) await cluster.atLeast(tenantId, name, want.minSeq, CONSISTENCY_WAIT_MS);
    });
  }
  const recordings = new SearchRecordings(collections, search, recorder);
  const insights = new InsightsService(collections, jobs, config.limits.insightsJobThreshold);
  // Index advice measures recall on the collection's own recorded queries when it has them.
  insights.useQueryLog(async (tenantId, name, c, limit) => {
    const out: Float32Array[] = [];
    for (const r of recordings.recent(tenantId, name, 1000)) {
      if (out.length >= limit) break;
      const b = r.request;
      if (b.mode === 'keyword') continue;
      if (b.vector !== undefined) out.push(toVector(b.vector, c.config.dimension, 'recorded query'));
      else if (b.text !== undefined) {
        const v = await embedding.embedQuery(c, b.text).catch(() => null);
        if (v && !isZeroVector(v)) out.push(v);
      }
    }
    return out;
  });
  // Scale-out: conversations in PostgreSQL, so a conversation goes on on whichever node answers.
  const conversations: Conversations = cluster ? new clusterParts!.PgConversations(cluster.pool) : new ConversationStore(config.dataDir);
  // VECTRA_CHAT_CACHE_ENTRIES=0 turns the semantic cache off; with Redis it is shared by the nodes.
  const chatCache = config.chatCache.maxEntries > 0 ? (redis ? new clusterParts!.RedisSemanticCache<CachedAnswer>(redis, config.chatCache) : new SemanticCache<CachedAnswer>(config.chatCache)) : null;
  const chat = new ChatService(collections, search, embedding, conversations, chatCache, new LlmRegistry(modelSetup.llms.map((l) => new RemoteLlm(l)), modelSetup.defaultLlm));
  // Scale-out: a collection's state in the cache's key is its replica's PostgreSQL seq, the same on every node.
  if (cluster) chat.useCollectionState((tenantId, name) => cluster.cacheState(tenantId, name));
  let loaded = false;
  const services: Services = {
    config,
    accounts,
    bus,
    modelBench: new ModelBench(models, modelSetup.pool, config.wordnetDir),
    collections,
    embedding,
    records: new RecordService(collections, embedding, config.limits.maxBatch),
    ingest,
    jobs,
    documents,
    search,
    insights,
    recordings,
    qdrant: new QdrantService(collections, { maxBatch: config.limits.maxBatch, maxK: config.limits.maxK }),
    chat,
    conversations,
    webhooks,
    stats: new ServerStats(accounts, spaces, () => modelSetup.pool.workers()),
    accountWrites,
    cluster,
    redis,
    isReady: () => loaded,
  };
  const compilers = lazyCompilers();
  const app = await buildApp(services, logger, compilers);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Models load when first needed; those the existing collections use are loaded before ready.
  // Scale-out: the node catches up with PostgreSQL (accounts, collections, every replica) first.
  if (cluster) {
    cluster.advertise(url);
    if (config.replicas && !config.advertiseUrl && /^(0\.0\.0\.0|::)$/.test(config.host)) {
      logger.warn({ url }, 'VECTRA_REPLICAS with a wildcard bind address: set VECTRA_ADVERTISE_URL to the address other nodes reach this one at');
    }
  }
  const caughtUp = cluster
    ? spaces.openAll(accounts.tenants().map((t) => t.id)).then(() => {
        cluster.assertNoLocalData();
        return cluster.start();
      })
    : Promise.resolve();
  const opened = caughtUp.then(() => spaces.openAll(accounts.tenants().map((t) => t.id)));
  const ready = opened.then(() => embedding.warm(spaces.all().flatMap((db) => db.collections().map(([, c]) => c)))).then(() => {
    loaded = true;
    // Jobs interrupted by the last stop go on where they stopped.
    jobs.resumeAll();
    // Webhooks catch up from their cursors once every collection's feed can be read.
    webhooks.start();
    logger.info({ url }, 'ready');
  });
  // Compiled now rather than by their first requests (~130 ms for a first search); after
  // ready, so a restart is not held up by them. (`closing` is set by close(), below.)
  const precompiled = ready.then(
    () => compilers.precompile(HOT_ROUTES, () => closing !== null),
    () => 0,
  );
  // Scale-out: a node that cannot take its place (a data directory of the embedded mode, a
  // database refusing its credentials) says why and stops, rather than answering 503 forever.
  if (cluster) {
    ready.catch((e: Error) => {
      logger.fatal({ err: e.message }, 'this node cannot join the cluster');
      flushAtExit();
      process.exit(1);
    });
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    services,
    url,
    ready,
    precompiled,
    close() {
      closing ??= (async () => {
        // Placement: the other nodes stop forwarding here (they refresh every second) before this one stops answering.
        if (cluster?.placement) {
          await cluster.withdraw();
          await new Promise((r) => setTimeout(r, 1200));
        }
        await app.close();
        await ready.catch(() => undefined);
        await jobs.close();
        await webhooks.close();
        // Recorded searches still in memory are written while their collections are open.
        recorder.close();
        await cluster?.close();
        await redis?.close();
        await spaces.close();
        await modelSetup.close();
        accounts.close();
        conversations.close();
        feedback.close();
        logger.info('stopped');
        stopFlushing();
        process.off('exit', flushAtExit);
        flushAtExit();
      })();
      return closing;
    },
  };
}
