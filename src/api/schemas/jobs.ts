/** Background jobs: NDJSON imports, and large document uploads. */
import { Type } from '../../typebox.js';
import { DocumentUploadedOut } from './documents.js';
import { ClustersOut } from './insights.js';

const Progress = Type.Object({ done: Type.Integer(), total: Type.Integer() });

export const JobOut = Type.Object({
  id: Type.String(), type: Type.Union([Type.Literal('import'), Type.Literal('document'), Type.Literal('clusters')], { description: 'import: an NDJSON upload; document: a large document file; clusters: a clustering too large to answer at once' }), collection: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('cancelled')]),
  total: Type.Integer(), done: Type.Integer(), upserted: Type.Integer(), errors: Type.Integer(),
  errorSamples: Type.Array(Type.Object({ line: Type.Integer(), id: Type.Optional(Type.String()), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })) })),
  rate: Type.Union([Type.Number(), Type.Null()]), etaSeconds: Type.Union([Type.Number(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  createdAt: Type.String(), startedAt: Type.Union([Type.String(), Type.Null()]), finishedAt: Type.Union([Type.String(), Type.Null()]),
  document: Type.Optional(Type.String({ description: 'document jobs: the id the document is stored under' })),
  stage: Type.Optional(Type.Union([Type.Literal('parsing'), Type.Literal('embedding'), Type.Null()], { description: 'document jobs, while running: reading the file, or embedding its chunks' })),
  pages: Type.Optional(Type.Union([Progress, Type.Null()], { description: "document jobs: a PDF's pages read, of its pages" })),
  result: Type.Optional(Type.Union([DocumentUploadedOut, ClustersOut, Type.Null()], { description: 'once done: a document job, what was stored (the synchronous answer); a clusters job, the clustering' })),
});

export const JobListOut = Type.Object({ jobs: Type.Array(JobOut) });

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
