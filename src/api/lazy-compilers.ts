/**
 * Route schemas compiled when a route is first used, not when the server starts. Fastify
 * compiles a validator (ajv) and a serializer (fast-json-stringify) for every route at
 * startup: ~475 ms of the ~2 s a restart spent before it could answer `/ready` on a slow hour
 * of this machine (a CPU profile: ajv 289 ms, fast-json-stringify 186 ms; docs/benchmarks.md).
 * The compilers are Fastify's own defaults with the same options; each route pays a few ms the
 * first time it is called instead. Every route is called by the test suite, so a schema that
 * does not compile still fails a test rather than a user's request.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

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

function lazySerializer(compile: () => (data: unknown) => string): (data: unknown) => string {
  let fn: ((data: unknown) => string) | undefined;
  return (data) => (fn ??= compile())(data);
}

/** Fastify's `schemaController.compilersFactory`: its default compilers, each route's compiled on first use. */
export function lazyCompilersFactory() {
  const validators = AjvCompiler();
  const serializers = SerializerSelector();
  return {
    buildValidator: (...factoryArgs: Parameters<typeof validators>) => {
      const compile = validators(...factoryArgs);
      return (route: Parameters<typeof compile>[0]) => lazyValidator(() => compile(route) as Validate);
    },
    buildSerializer: (...factoryArgs: Parameters<typeof serializers>) => {
      const compile = serializers(...factoryArgs);
      return (route: Parameters<typeof compile>[0]) => lazySerializer(() => compile(route) as (data: unknown) => string);
    },
  };
}
