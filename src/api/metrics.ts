/** Prometheus metrics (prom-client): request counts and latency by route and status, data sizes. */
import client from 'prom-client';
import type { App, Services } from './context.js';

export function registerMetrics(app: App, services: Services): client.Registry {
  const registry = new client.Registry();
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
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
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
  gauge('vectra_embed_workers', 'Embedding worker threads running (they start when a model is first needed)', () => stats.embedWorkers());

  app.addHook('onResponse', async (req, reply) => {
    const labels = { route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });
  return registry;
}
