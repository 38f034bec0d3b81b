/// <reference types="vitest/config" />
/**
 * The dashboard's build: `vite build web` writes web/dist, which the server serves at `/`.
 * `vite web` (dev) proxies the API to a server running on VECTRA_URL (default :8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.VECTRA_URL ?? 'http://127.0.0.1:8080';
/** The dashboard talks to the API through the repository's own client, from its source. */
const client = fileURLToPath(new URL('../packages/client/src/index.ts', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: { alias: { '@vectra/client': client } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or data: modules, so the server's CSP can say script-src 'self'.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: { '/v1': api, '/health': api, '/ready': api },
    // Files the dev server may serve: the app, its dependencies, the client package's source and
    // the one server module it shares (the CSV→record mapping of `vectra import`); not the rest
    // of the repository (data/).
    fs: {
      strict: true,
      allow: ['.', '../node_modules', '../packages/client/src', '../src/records-from-rows.ts'].map((p) => fileURLToPath(new URL(p, import.meta.url))),
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
