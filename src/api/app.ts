/**
 * The Fastify application: plugins (docs, rate limit, auth, metrics), one route file per
 * resource, and a single error envelope. Thin: it parses, authorizes, calls services.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sharedRateLimitStore } from '../cluster/rate-limit-store.js';
import { registerAuth } from './auth.js';
import { registerDashboard } from './dashboard.js';
import type { App, Services } from './context.js';
import { registerEncodingChecks } from './encoding.js';
import { clientError, errorHandler, frameworkError, send } from './errors.js';
import { HttpError } from './error-codes.js';
import { registerMetrics } from './metrics.js';
import { StreamBudget } from './stream-budget.js';
import { AJV_OPTIONS, REQUEST_LOG_MESSAGE } from './options.js';
import { lazyCompilers, type LazyCompilers } from './lazy-compilers.js';
import { registerBodyDeadline } from './timeouts.js';
import ingestRoutes from './routes/ingest.js';
import jobRoutes from './routes/jobs.js';
import documentRoutes from './routes/documents.js';
import documentUploadRoutes from './routes/document-upload.js';
import accountRoutes from './routes/accounts.js';
import changeRoutes from './routes/changes.js';
import chatRoutes from './routes/chat.js';
import chatCompletionRoutes from './routes/chat-completions.js';
import wsRoutes from './routes/ws.js';
import collectionRoutes from './routes/collections.js';
import modelRoutes from './routes/models.js';
import opsRoutes from './routes/ops.js';
import { registerQdrant } from './qdrant/routes.js';
import recordRoutes from './routes/records.js';
import searchRoutes from './routes/search.js';
import statsRoutes from './routes/stats.js';
import webhookRoutes from './routes/webhooks.js';
import insightsRoutes from './routes/insights.js';
import recordingRoutes from './routes/recordings.js';
import { countedElsewhere, registerForwarding } from './forward.js';
import { KeyOut } from './schemas/accounts.js';
import { CollectionOut } from './schemas/collections.js';
import { ErrorBody } from './schemas/common.js';
import { StoredRecordOut } from './schemas/records.js';

export { REQUEST_LOG_MESSAGE } from './options.js';

/** `compilers`: pass your own to precompile routes later (server.ts). */
export async function buildApp(services: Services, logger: FastifyBaseLogger, compilers: LazyCompilers = lazyCompilers()): Promise<App> {
  const app = Fastify({
    loggerInstance: logger,
    // One line per request is logged by our onResponse hook instead (tenant, route, status, ms).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.limits.bodyLimitBytes,
    // Off: registerBodyDeadline enforces it per route (streams get an idle limit instead).
    requestTimeout: 0,
    ajv: { customOptions: { ...AJV_OPTIONS } },
    // Fastify's own compilers, but each route's schemas compiled when it is first called.
    schemaController: { compilersFactory: compilers.factory as never },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Fastify's own closing 503 is not in our error envelope: the hook below answers instead.
    return503OnClosing: false,
    // Errors raised before routing (bad percent-encoding, over-long path parts, oversized
    // headers) answer in the API's envelope too, not in Fastify's own body.
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  // While draining for shutdown, requests that arrive on open connections are refused (nothing
  // is applied) with a stable code; those already running finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    // Thrown, not sent: the route's own error handler answers (in Qdrant's envelope under /qdrant).
    if (closing) {
      reply.header('connection', 'close');
      throw new HttpError('SHUTTING_DOWN', 'the server is shutting down; retry in a moment (against a running instance)');
    }
  });

  // JSON only: a text/plain body is a 415, not a string the schema then rejects.
  app.removeContentTypeParser('text/plain');
  // JSON bodies and query strings must be UTF-8: checked before they are decoded, not replaced by U+FFFD.
  registerEncodingChecks(app);
  app.setErrorHandler(errorHandler(services.config.dataDir));
  // The dashboard's own pages (client-side routes) fall back to its index.html; the rest is the API's 404.
  const dashboardPage = await registerDashboard(app, services.config.dashboardDir);
  app.setNotFoundHandler(
    (req, reply) => dashboardPage?.(req, reply) ?? send(reply, 'ROUTE_NOT_FOUND', `there is no route ${req.method} ${req.url.split('?')[0]}; the API is described at /docs`),
  );
  for (const schema of [ErrorBody, CollectionOut, StoredRecordOut, KeyOut]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Vectra', version: '1', description: 'Self-hosted vector database: embed, store, search. Reference: docs/api.md' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'vk_… API key' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(rateLimit, {
    max: services.config.limits.rateLimitPerMinute,
    timeWindow: 60_000,
    // Scale-out with Redis: counted across the nodes; this node's own count while Redis is away.
    ...(services.redis ? { store: sharedRateLimitStore(services.redis) } : {}),
    // Per API key, by the id of the key that authenticated (auth runs first: its hook is the
    // app's, the limiter's is the route's), so writing the same key differently ("bearer",
    // extra spaces, X-API-Key) does not buy a fresh budget. Public routes: per IP.
    keyGenerator: (req) => (req.principal ? `k:${req.principal.keyId}` : `ip:${req.ip}`),
    // Placement: chat forwarded after parsing was counted by the node it reached first.
    ...(services.cluster?.placement ? { allowList: (req: FastifyRequest) => countedElsewhere(req, services.cluster!) } : {}),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `rate limit of ${ctx.max} requests per minute exceeded; retry in ${ctx.after}`,
    }),
  });

  registerBodyDeadline(app, services.config.limits.requestTimeoutMs);
  // NDJSON bodies reach their route as a stream, read line by line (no body size limit; a line limit).
  app.addContentTypeParser(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'], (_req, payload, done) => done(null, payload));
  registerAuth(app, services);
  const { registry: metrics, traffic, observe } = registerMetrics(app, services);
  // Scale-out placement: requests about collections held elsewhere go there (after auth, before the rate limit).
  registerForwarding(app, services, metrics);
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { tenant: req.principal?.tenantId, route: req.routeOptions.url ?? 'unmatched', method: req.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      REQUEST_LOG_MESSAGE,
    );
  });

  accountRoutes(app, services);
  collectionRoutes(app, services);
  recordRoutes(app, services);
  // WebSockets and SSE streams share one budget of long-lived connections per key.
  const streams = new StreamBudget(services.config.realtime.wsMaxConnectionsPerKey);
  changeRoutes(app, services, streams);
  await wsRoutes(app, services, observe, streams);
  webhookRoutes(app, services);
  ingestRoutes(app, services);
  jobRoutes(app, services);
  documentRoutes(app, services);
  await documentUploadRoutes(app, services);
  searchRoutes(app, services);
  insightsRoutes(app, services);
  recordingRoutes(app, services);
  chatRoutes(app, services);
  chatCompletionRoutes(app, services);
  modelRoutes(app, services);
  statsRoutes(app, services, traffic);
  opsRoutes(app, services, metrics);
  await registerQdrant(app, services);
  return app;
}

