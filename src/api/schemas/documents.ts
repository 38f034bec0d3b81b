/** Documents: long texts stored as chunk records. */
import { Type } from '../../typebox.js';
import { CollectionName, Metadata } from './common.js';

const DocId = Type.String({ minLength: 1, maxLength: 200 });

export const DocumentParams = Type.Object({ name: CollectionName, id: DocId });

export const DocumentBody = Type.Object(
  {
    id: Type.Optional(DocId),
    text: Type.String({ minLength: 1, maxLength: 10_000_000 }),
    metadata: Type.Optional(Metadata),
    format: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('markdown'), Type.Literal('html')], { description: 'markdown and html split at headings first (default text)' })),
    chunk: Type.Optional(
      Type.Object(
        {
          size: Type.Optional(Type.Integer({ minimum: 100, maximum: 20_000, description: 'characters per chunk (default 1000)' })),
          overlap: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'characters carried into the next chunk (default 150, at most size/2)' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const DocumentStoredOut = Type.Object({ id: Type.String(), chunks: Type.Integer(), ids: Type.Array(Type.String()) });

export const DocumentOut = Type.Object({
  id: Type.String(),
  metadata: Metadata,
  chunks: Type.Array(Type.Object({ id: Type.String(), chunk: Type.Integer(), text: Type.Union([Type.String(), Type.Null()]), section: Type.Optional(Type.String()), page: Type.Optional(Type.Integer()) })),
});

export const DocumentUploadedOut = Type.Object({
  id: Type.String(),
  chunks: Type.Integer(),
  format: Type.Union([Type.Literal('pdf'), Type.Literal('docx'), Type.Literal('html'), Type.Literal('markdown'), Type.Literal('text')], { description: 'what the file was read as' }),
  pages: Type.Optional(Type.Integer({ description: 'PDF: its number of pages' })),
});
