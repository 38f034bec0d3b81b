/**
 * POST /v1/collections/{name}/documents/upload: a file (PDF, DOCX, HTML, Markdown, text) as a
 * document. The multipart parser lives in this plugin only, so every other route still
 * answers multipart bodies with 415.
 */
import multipart from '@fastify/multipart';
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { DocumentUploadedOut } from '../schemas/documents.js';
import { readUploadForm } from '../upload-form.js';

export default async function documentUploadRoutes(app: App, services: Services): Promise<void> {
  const { maxUploadBytes, requestTimeoutMs } = services.config.limits;
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
            'Files over VECTRA_MAX_UPLOAD_BYTES answer 413.',
          consumes: ['multipart/form-data'],
          params: CollectionParams,
          response: { 201: DocumentUploadedOut, ...errorResponses(400, 401, 403, 404, 408, 413, 415, 503) },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        // Before the file is read: an unknown (or another tenant's) collection is a 404 at once.
        services.documents.checkTarget(tenant, req.params.name);
        try {
          const form = await readUploadForm(req, maxUploadBytes, requestTimeoutMs);
          return reply.code(201).send(await services.documents.upload(tenant, req.params.name, form));
        } catch (e) {
          // The rest of an unread body is not worth receiving: close the connection after the answer.
          if (!req.raw.readableEnded) reply.header('connection', 'close');
          throw e;
        }
      },
    );
  });
}
