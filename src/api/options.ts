/** Settings that the Fastify app and the WebSocket's direct paths must share. */

/** The message of the one line logged per request: the server writes these in batches (src/server.ts). */
export const REQUEST_LOG_MESSAGE = 'request';

/** Strict inputs: no silent type coercion, no silently dropped fields (Fastify's ajv.customOptions). */
export const AJV_OPTIONS = { coerceTypes: false, removeAdditional: false, useDefaults: true } as const;
