/**
 * Route schemas compiled when a route is first used, not when the server starts. Fastify
 * compiles a validator (ajv) and a serializer (fast-json-stringify) for every route at
 * startup: ~475 ms of the ~2 s a restart spent before it could answer `/ready` on a slow hour
 * of this machine (a CPU profile: ajv 289 ms, fast-json-stringify 186 ms; docs/benchmarks.md).
 * The compilers are Fastify's own defaults with the same options; each route pays a few ms the
 * first time it is called instead, or the server compiles the busiest ones once it is ready
 * (`precompile`). Every route is called by the test suite, so a schema that
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

/** A validator that compiles on its first call (or `compile`) and, as ajv's do, carries its last `errors`. */
function lazyValidator(compile: () => Validate): { validate: Validate; compile: () => boolean } {
  let fn: Validate | undefined;
  const validate: Validate = (data) => {
    fn ??= compile();
    const result = fn(data);
    validate.errors = fn.errors;
    return result;
  };
  return { validate, compile: () => !fn && Boolean((fn = compile())) };
}

function lazySerializer(compile: () => Serialize): { serialize: Serialize; compile: () => boolean } {
  let fn: Serialize | undefined;
  return { serialize: (data) => (fn ??= compile())(data), compile: () => !fn && Boolean((fn = compile())) };
}

/** A route by method and URL as registered, e.g. `['POST', '/v1/collections/:name/search']`. */
export type RouteKey = readonly [method: string, url: string];

export interface LazyCompilers {
  /** For Fastify's `schemaController.compilersFactory`. */
  factory: unknown;
  /**
   * Compile now the request schemas and success (2xx) response schemas of `routes`, one per
   * turn of the event loop, until `stopped()`. Resolves to the number compiled.
   */
  precompile(routes: readonly RouteKey[], stopped?: () => boolean): Promise<number>;
}

/**
 * Fastify's default compilers, each route's schemas compiled on first use; `precompile`
 * compiles some routes' ahead, so that their first request does not pay for it: a fresh
 * server's first search spent ~60 ms compiling its body validator and ~35 ms its response
 * serializer (~130 ms in all against ~3 ms for the next; docs/benchmarks.md).
 */
export function lazyCompilers(): LazyCompilers {
  const compiles: { method: string[]; url: string; status?: string; compile: () => boolean }[] = [];
  // Fastify hands each compiler the route: method, url (as registered), httpPart or httpStatus.
  const entry = (route: unknown, compile: () => boolean) => {
    const r = route as { method: string | string[]; url: string; httpStatus?: string };
    compiles.push({ method: [r.method].flat(), url: r.url, status: r.httpStatus, compile });
  };
  const factory = {
    buildValidator: (...factoryArgs: Parameters<ReturnType<typeof AjvCompiler>>) => {
      let compile: ReturnType<ReturnType<typeof AjvCompiler>> | undefined;
      return (route: Parameters<NonNullable<typeof compile>>[0]) => {
        const lazy = lazyValidator(() => (compile ??= compilers.ajv()()(...factoryArgs))(route) as Validate);
        entry(route, lazy.compile);
        return lazy.validate;
      };
    },
    buildSerializer: (...factoryArgs: Parameters<ReturnType<typeof SerializerSelector>>) => {
      let compile: ReturnType<ReturnType<typeof SerializerSelector>> | undefined;
      return (route: Parameters<NonNullable<typeof compile>>[0]) => {
        const lazy = lazySerializer(() => (compile ??= compilers.serializers()()(...factoryArgs))(route) as Serialize);
        entry(route, lazy.compile);
        return lazy.serialize;
      };
    },
  };
  async function precompile(routes: readonly RouteKey[], stopped = () => false): Promise<number> {
    const wanted = compiles.filter((c) => routes.some(([method, url]) => c.url === url && c.method.includes(method)) && (c.status === undefined || c.status.startsWith('2')));
    let compiled = 0;
    for (const c of wanted) {
      await new Promise((resolve) => setImmediate(resolve));
      if (stopped()) break;
      try {
        if (c.compile()) compiled++;
      } catch {
        // A schema that does not compile: its route's first request reports it, as before.
      }
    }
    return compiled;
  }
  return { factory, precompile };
}

/** A validator for one schema outside a route (the WebSocket actions), with Fastify's ajv and `options`, compiled on first use. */
export function schemaValidator(schema: unknown, url: string, customOptions: Record<string, unknown>): Validate {
  return lazyValidator(() => compilers.ajv()()({}, { customOptions, plugins: [] })({ schema, method: 'POST', url, httpPart: 'body' }) as Validate).validate;
}

/** A serializer for one response schema outside a route, with Fastify's fast-json-stringify, compiled on first use. */
export function schemaSerializer(schema: unknown, url: string): Serialize {
  return lazySerializer(() => compilers.serializers()()({}, {})({ schema, method: 'POST', url, httpStatus: '200' }) as Serialize).serialize;
}
