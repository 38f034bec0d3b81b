import { PassThrough } from 'node:stream';
import { MAX_LINE_BYTES, ndjsonLines } from '../../services/ingest.js';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { HttpError, isCodedError } from '../error-codes.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { JobOut } from '../schemas/jobs.js';
import { atMostBytes, drainedOrClosed, ndjsonBody, untilIdle } from '../stream-body.js';

/** Records per upsert transaction from a stream: big enough to batch embedding, small enough to answer often. */
export const STREAM_BATCH = 500;

export default function ingestRoutes(app: App, services: Services): void {
  const idleMs = services.config.limits.requestTimeoutMs;
  app.post(
    '/v1/collections/:name/records/stream',
    {
      config: { scope: 'write', stream: true },
      schema: {
        tags: ['records'],
        summary: 'Upsert NDJSON records as they arrive; answers NDJSON, one result per line',
        description:
          'Body: one record per line ({"id"?, "text"?, "vector"?, "metadata"?}), Content-Type application/x-ndjson, any length. ' +
          `Stored in transactions of ${STREAM_BATCH} lines; the body is read only as fast as it is stored. ` +
          'Answer: {"line", "id"} or {"line", "error": {"code", "message"}} per non-blank line, then {"done": true, "lines", "upserted", "errors"}. ' +
          'A bad line is reported and skipped; it never stops the rest.',
        params: CollectionParams,
        response: { ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req);
      services.collections.assertExists(tenant, req.params.name); // 404 before anything streams
      const body = ndjsonBody(req.body);
      const out = new PassThrough();
      // A client that stops reading holds the stream back (and with it, reading its body);
      // one that disconnects ends it.
      reply.raw.once('close', () => out.destroy());
      const write = async (obj: unknown) => {
        if (out.destroyed) throw new HttpError('REQUEST_TIMEOUT', 'the client went away');
        if (!out.write(`${JSON.stringify(obj)}\n`)) await drainedOrClosed(out);
      };
      void (async () => {
        let lines = 0;
        let upserted = 0;
        let errors = 0;
        try {
          for await (const results of services.ingest.ingest(tenant, req.params.name, ndjsonLines(untilIdle(body, idleMs), MAX_LINE_BYTES), STREAM_BATCH)) {
            for (const r of results) {
              lines++;
              if (r.error) errors++;
              else upserted++;
              await write(r);
            }
          }
          await write({ done: true, lines, upserted, errors });
        } catch (e) {
          // The rest of the body will not be read: close the connection after this answer.
          if (!reply.raw.headersSent) reply.raw.setHeader('connection', 'close');
          const error = isCodedError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the stream stopped on a server error; lines answered above are stored' };
          if (!isCodedError(e)) req.log.error({ err: e }, 'stream ingest failed');
          await write({ done: false, lines, upserted, errors, error }).catch(() => undefined);
        } finally {
          out.end();
        }
      })();
      return reply.type('application/x-ndjson').send(out);
    },
  );

  app.post(
    '/v1/collections/:name/imports',
    {
      config: { scope: 'write', stream: true },
      schema: {
        tags: ['jobs'],
        summary: 'Import an NDJSON upload in the background (202 with the job)',
        description: 'Body: one record per line, Content-Type application/x-ndjson. Saved to disk, then imported in batches; follow it at GET /v1/jobs/{id}. Records without an id get "<job id>-<line>". Survives restarts (resumes where it stopped).',
        params: CollectionParams,
        response: { 202: JobOut, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req);
      services.collections.assertExists(tenant, req.params.name);
      const max = services.config.limits.maxImportBytes;
      const upload = atMostBytes(untilIdle(ndjsonBody(req.body) as AsyncIterable<Buffer>, idleMs), max, `the upload is larger than ${max} bytes (VECTRA_MAX_IMPORT_BYTES); split it into several imports`);
      const job = await services.jobs.create(tenant, req.params.name, upload);
      return reply.code(202).send(job);
    },
  );
}
