/**
 * Request figures. For the operator, Prometheus metrics (prom-client) at GET /metrics: request
 * counts and latency by route and status, data sizes summed over every tenant. For each
 * tenant, its own requests (count, errors, latency) for GET /v1/stats, kept in memory since
 * the server started: a tenant sees only its own, never the server's.
 */
import client from 'prom-client';
import type { App, Services } from './context.js';

/** Latency histogram bounds (seconds), shared by /metrics and each tenant's figures. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** Routes whose own requests are not counted in a tenant's figures (watching them must not look like traffic). */
const NOT_COUNTED = new Set(['/v1/stats']);

export interface TenantRequests {
  /** Requests made with this tenant's keys (answered, any status). */
  total: number;
  /** Of those, answered 4xx or 5xx. */
  errors: number;
  latency: {
    sumSeconds: number;
    /** Cumulative: how many took at most `le` seconds (the last bound is 5 s; `total` counts all). */
    buckets: { le: number; count: number }[];
  };
}

/** Each tenant's request counters, by tenant id. */
export class TenantTraffic {
  readonly since = new Date().toISOString();
  private readonly byTenant = new Map<string, { total: number; errors: number; sum: number; buckets: Float64Array }>();

  record(tenantId: string, status: number, seconds: number): void {
    let t = this.byTenant.get(tenantId);
    if (!t) {
      t = { total: 0, errors: 0, sum: 0, buckets: new Float64Array(LATENCY_BUCKETS.length) };
      this.byTenant.set(tenantId, t);
    }
    t.total++;
    if (status >= 400) t.errors++;
    t.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]) t.buckets[i]++;
  }

  of(tenantId: string): TenantRequests {
    const t = this.byTenant.get(tenantId);
    return {
      total: t?.total ?? 0,
      errors: t?.errors ?? 0,
      latency: { sumSeconds: t?.sum ?? 0, buckets: LATENCY_BUCKETS.map((le, i) => ({ le, count: t?.buckets[i] ?? 0 })) },
    };
  }
}

/** Count a request answered outside Fastify's lifecycle (a WebSocket action) as the hooks count routes. */
export type ObserveRequest = (route: string, method: string, status: number, seconds: number, tenantId: string | null) => void;

export function registerMetrics(app: App, services: Services): { registry: client.Registry; traffic: TenantTraffic; observe: ObserveRequest } {
  const registry = new client.Registry();
  const traffic = new TenantTraffic();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'vectra_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'vectra_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  // Totals across tenants, computed when scraped: never per tenant (that would reveal them).
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const { stats } = services;
  gauge('vectra_tenants', 'Registered tenants', () => stats.tenants());
  gauge('vectra_collections', 'Open collections', () => stats.collections());
  gauge('vectra_records', 'Records in all collections', () => stats.total('count'));
  gauge('vectra_index_memory_bytes', 'Estimated memory of the vector indexes', () => stats.total('indexBytes'));
  gauge('vectra_disk_bytes', 'Bytes on disk of all collections', () => stats.total('diskBytes'));
  const cache = () => services.chat.cacheStats() ?? { hits: 0, misses: 0, entries: 0 };
  gauge('vectra_chat_cache_hits', 'Chat answers served from the semantic cache since the start', () => cache().hits);
  gauge('vectra_chat_cache_lookups', 'Chat questions looked up in the semantic cache since the start', () => cache().hits + cache().misses);
  // Shared in Redis (scale-out): held there for every node, not counted here.
  if (services.chat.cacheStats()?.entries !== null) gauge('vectra_chat_cache_entries', 'Answers held by the semantic cache', () => cache().entries ?? 0);
  // Per LLM (server-wide; ids come from the config file, not from tenants).
  const llmAnswers = new client.Counter({ name: 'vectra_llm_answers_total', help: 'Answers an LLM completed', labelNames: ['llm'] as const, registers: [registry] });
  const llmFailures = new client.Counter({ name: 'vectra_llm_failures_total', help: 'LLM answers that failed (unreachable, refused, broken mid-answer)', labelNames: ['llm'] as const, registers: [registry] });
  const llmTokens = new client.Counter({ name: 'vectra_llm_tokens_total', help: 'Tokens an LLM read (prompt) and wrote (completion), as reported, else estimated', labelNames: ['llm', 'kind'] as const, registers: [registry] });
  const llmSeconds = (name: string, help: string) => new client.Histogram({ name, help, labelNames: ['llm'] as const, buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120], registers: [registry] });
  const firstText = llmSeconds('vectra_llm_first_text_seconds', 'Seconds from asking an LLM to its first text');
  const whole = llmSeconds('vectra_llm_answer_seconds', 'Seconds an LLM took for a whole answer');
  services.chat.observeLlms({
    answered(llm, o) {
      llmAnswers.inc({ llm });
      llmTokens.inc({ llm, kind: 'prompt' }, o.promptTokens);
      llmTokens.inc({ llm, kind: 'completion' }, o.completionTokens);
      firstText.observe({ llm }, o.firstTextSeconds);
      whole.observe({ llm }, o.seconds);
    },
    failed: (llm) => llmFailures.inc({ llm }),
  });
  const { cluster } = services;
  if (cluster) {
    gauge('vectra_cluster_database_up', 'Whether PostgreSQL answered this node\'s last poll (1) or not (0)', () => (cluster.databaseUp ? 1 : 0));
    gauge('vectra_cluster_replicas', 'Collections this node holds a replica of', () => cluster.replicaStats().length);
    gauge('vectra_cluster_replica_lag_changes', 'Changes committed in PostgreSQL that this node has heard of and not yet applied, summed over its replicas', () =>
      cluster.replicaStats().reduce((n, r) => n + Math.max(0, r.known - Math.max(r.applied, 0)), 0),
    );
    const applyLag = new client.Histogram({
      name: 'vectra_cluster_apply_lag_seconds',
      help: 'Seconds from a change\'s write (in PostgreSQL) to its being applied to this node\'s replica',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    cluster.onApplied = (ms) => applyLag.observe(ms / 1000);
  }
  const { redis } = services;
  if (redis) gauge('vectra_cluster_redis_up', 'Whether this node uses Redis now (1: rate limits and the chat cache shared) or not because Redis is unreachable (0: rate limits its own, no chat cache)', () => (redis.up ? 1 : 0));
  gauge('vectra_embed_workers', 'Embedding worker threads running (they start when a model is first needed)', () => stats.embedWorkers());

  const observe: ObserveRequest = (route, method, status, seconds, tenantId) => {
    const labels = { route, method, status: String(status) };
    requests.inc(labels);
    latency.observe(labels, seconds);
    if (tenantId !== null && !NOT_COUNTED.has(route)) traffic.record(tenantId, status, seconds);
  };
  app.addHook('onResponse', async (req, reply) => {
    observe(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime / 1000, req.principal?.tenantId ?? null);
  });
  return { registry, traffic, observe };
}
