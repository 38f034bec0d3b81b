/**
 * POST /v1/collections/{name}/documents/upload: a file (PDF, DOCX, HTML, Markdown, text) as a
 * document — stored before the answer (201), or, above VECTRA_UPLOAD_SYNC_BYTES or with
 * ?async=true, checked as far as it can be without parsing it and stored by a background job
 * (202 {"job"}, followed at GET /v1/jobs/{id}). The multipart parser lives in this plugin only,
 * so every other route still answers multipart bodies with 415.
 */
import multipart from '@fastify/multipart';
import { Type } from '../../typebox.js';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { DocumentUploadedOut } from '../schemas/documents.js';
import { JobOut } from '../schemas/jobs.js';
import { readUploadForm } from '../upload-form.js';

export default async function documentUploadRoutes(app: App, services: Services): Promise<void> {
  const { maxUploadBytes, requestTimeoutMs, uploadSyncBytes } = services.config.limits;
  await app.register(async (scoped: App) => {
    await scoped.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1 } });
    scoped.post(
      '/v1/collections/:name/documents/upload',
      {
        // The body is read in the handler: the idle timeout is enforced as it is read.
        config: { scope: 'write', stream: true },
        schema: {
          tags: ['documents'],
          summary: 'Upload a file (PDF, DOCX, HTML, Markdown, text) as a document of chunk records "<id>#<n>" (replaces an earlier version)',
          description:
            'multipart/form-data: `file` (required), optional `id`, `title`, `metadata` (a JSON object) and `chunk` (JSON {"size", "overlap"}). ' +
            'The format is sniffed from the bytes, then the file name and Content-Type. PDF chunks carry `_page`, Markdown/HTML/DOCX chunks `_section`, all `_title`. ' +
            'Files over VECTRA_MAX_UPLOAD_BYTES answer 413. Files over VECTRA_UPLOAD_SYNC_BYTES (1 MiB), or any with ?async=true, are answered 202 {"job"} once checked ' +
            '(size, type, emptiness, the fields) and stored by a background job: follow it at GET /v1/jobs/{id} (progress: pages read, chunks embedded; result once done; the coded error if it fails, nothing stored). ?async=false waits for any size.',
          consumes: ['multipart/form-data'],
          params: CollectionParams,
          // Other parameters are ignored, as they were before this one existed.
          querystring: Type.Object({ async: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: always a background job (202); false: always answered once stored (201); default: by size' })) }),
          response: { 201: DocumentUploadedOut, 202: Type.Object({ job: JobOut }), ...errorResponses(400, 401, 403, 404, 408, 413, 415, 503) },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        // Before the file is read: an unknown (or another tenant's) collection is a 404 at once.
        services.documents.checkTarget(tenant, req.params.name);
        try {
          const form = await readUploadForm(req, maxUploadBytes, requestTimeoutMs);
          const background = req.query.async === undefined ? form.file.bytes.length > uploadSyncBytes : req.query.async === 'true';
          if (!background) return reply.code(201).send(await services.documents.upload(tenant, req.params.name, form));
          // What can be refused now is refused now, with the code the synchronous upload gives.
          const { id } = services.documents.checkUpload(tenant, req.params.name, form);
          return reply.code(202).send({ job: await services.jobs.createDocument(tenant, req.params.name, id, form) });
        } catch (e) {
          // The rest of an unread body is not worth receiving: close the connection after the answer.
          if (!req.raw.readableEnded) reply.header('connection', 'close');
          throw e;
        }
      },
    );
  });
}
