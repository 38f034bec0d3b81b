/**
 * Route schemas compiled when a route is first used, not when the server starts. Fastify
 * compiles a validator (ajv) and a serializer (fast-json-stringify) for every route at
 * startup: ~475 ms of the ~2 s a restart spent before it could answer `/ready` on a slow hour
 * of this machine (a CPU profile: ajv 289 ms, fast-json-stringify 186 ms; docs/benchmarks.md).
 * The compilers are Fastify's own defaults with the same options; each route pays a few ms the
 * first time it is called instead. Every route is called by the test suite, so a schema that
 * does not compile still fails a test rather than a user's request.
 */
import { createRequire } from 'node:module';
import type { AjvCompiler } from '@fastify/ajv-compiler';
import type { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;

// The compilers themselves (ajv: 85 modules, fast-json-stringify) are loaded by the first
// compile too, not at start (~120 ms of a restart). Both are CommonJS: required synchronously.
const requireCjs = createRequire(import.meta.url);
const compilers = {
  ajv: () => (requireCjs('@fastify/ajv-compiler') as { AjvCompiler: typeof AjvCompiler }).AjvCompiler,
  serializers: () => (requireCjs('@fastify/fast-json-stringify-compiler') as { SerializerSelector: typeof SerializerSelector }).SerializerSelector,
};

/** A validator that compiles on its first call and, as ajv's do, carries its last `errors`. */
function lazyValidator(compile: () => Validate): Validate {
  let fn: Validate | undefined;
  const validate: Validate = (data) => {
    fn ??= compile();
    const result = fn(data);
    validate.errors = fn.errors;
    return result;
  };
  return validate;
}

function lazySerializer(compile: () => Serialize): Serialize {
  let fn: Serialize | undefined;
  return (data) => (fn ??= compile())(data);
}

/** Fastify's `schemaController.compilersFactory`: its default compilers, each route's compiled on first use. */
export function lazyCompilersFactory() {
  return {
    buildValidator: (...factoryArgs: Parameters<ReturnType<typeof AjvCompiler>>) => {
      let compile: ReturnType<ReturnType<typeof AjvCompiler>> | undefined;
      return (route: Parameters<NonNullable<typeof compile>>[0]) => lazyValidator(() => (compile ??= compilers.ajv()()(...factoryArgs))(route) as Validate);
    },
    buildSerializer: (...factoryArgs: Parameters<ReturnType<typeof SerializerSelector>>) => {
      let compile: ReturnType<ReturnType<typeof SerializerSelector>> | undefined;
      return (route: Parameters<NonNullable<typeof compile>>[0]) => lazySerializer(() => (compile ??= compilers.serializers()()(...factoryArgs))(route) as Serialize);
    },
  };
}

/** A validator for one schema outside a route (the WebSocket actions), with Fastify's ajv and `options`, compiled on first use. */
export function schemaValidator(schema: unknown, url: string, customOptions: Record<string, unknown>): Validate {
  return lazyValidator(() => compilers.ajv()()({}, { customOptions, plugins: [] })({ schema, method: 'POST', url, httpPart: 'body' }) as Validate);
}

/** A serializer for one response schema outside a route, with Fastify's fast-json-stringify, compiled on first use. */
export function schemaSerializer(schema: unknown, url: string): Serialize {
  return lazySerializer(() => compilers.serializers()()({}, {})({ schema, method: 'POST', url, httpStatus: '200' }) as Serialize);
}
