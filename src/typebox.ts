/**
 * TypeBox's schema builder, through this one module. `npm run build` bundles the built file
 * with TypeBox into one module (esbuild, the package.json `build` script): Node loading
 * TypeBox's 373 ES modules one by one took 0.25–0.35 s of every start, the bundle ~0.03 s
 * (docs/benchmarks.md, "Ready after a crash: TypeBox in one module"). Run from source (tsx, the
 * tests), or built by `tsc` alone, it is TypeBox itself: the same code either way.
 */
export { Type } from 'typebox';
export type { Static } from 'typebox';
