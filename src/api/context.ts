import type { AccountWrites } from '../services/writes.js';
import type { ClusterNode } from '../cluster/node.js';
import type { SharedRedis } from '../cluster/redis.js';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import type { EventBus } from '../realtime/bus.js';
import type { ChatService } from '../rag/chat.js';
import type { Conversations } from '../rag/conversations.js';
import type { ModelBench } from '../embed/benchmark.js';
import type { Accounts, Principal, Scope } from '../services/accounts.js';
import type { CollectionService } from '../services/collections.js';
import type { DocumentService } from '../services/documents.js';
import type { EmbeddingService } from '../services/embedding.js';
import type { IngestService } from '../services/ingest.js';
import type { QdrantService } from '../services/qdrant/service.js';
import type { Jobs } from '../services/jobs.js';
import type { InsightsService } from '../services/insights/insights.js';
import type { SearchRecordings } from '../services/insights/replay.js';
import type { RecordService } from '../services/records.js';
import type { SearchService } from '../services/search.js';
import type { ServerStats } from '../services/stats.js';
import type { WebhookService } from '../services/webhooks.js';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Everything a route needs: the services, never the engine directly. */
export interface Services {
  config: Config;
  accounts: Accounts;
  /** In-process events per tenant (src/realtime/bus.ts). */
  bus: EventBus;
  modelBench: ModelBench;
  collections: CollectionService;
  /** Collections' models, embedding texts and queries, the model catalogue. */
  embedding: EmbeddingService;
  records: RecordService;
  ingest: IngestService;
  documents: DocumentService;
  /** Background jobs (/v1/jobs): NDJSON imports, large document uploads. */
  jobs: Jobs;
  search: SearchService;
  /** Clustering, embedding health and drift of collections' vectors (src/services/insights/). */
  insights: InsightsService;
  /** Recorded searches per collection (opt in) and their replay (src/services/insights/replay.ts). */
  recordings: SearchRecordings;
  /** The Qdrant-compatible REST subset under /qdrant (src/api/qdrant/). */
  qdrant: QdrantService;
  /** Answers grounded on collections (src/rag/chat.ts) and the stored conversations. */
  chat: ChatService;
  conversations: Conversations;
  /** Data figures: totals across tenants for /metrics, one tenant's own for GET /v1/stats. */
  stats: ServerStats;
  /** Webhooks: CRUD, the outbox and its delivery worker (src/realtime/webhooks/). */
  webhooks: WebhookService;
  /** Registration and keys: into system.db, or (scale-out) PostgreSQL first (src/services/writes.ts). */
  accountWrites: AccountWrites;
  /** The scale-out node (src/cluster/node.ts), or null in the embedded mode. */
  cluster: ClusterNode | null;
  /** Scale-out: Redis shared by the nodes (src/cluster/redis.ts), or null without VECTRA_REDIS_URL. */
  redis: SharedRedis | null;
  /** True once collections and the default model are loaded. */
  isReady(): boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public. */
    scope?: Scope;
    /** A further header that may carry the API key on this route (Qdrant's `api-key`), after Authorization and X-API-Key. */
    keyHeader?: string;
  }
}
