// Vite config. The UI is served by polytrace's query server at `/`; during development the dev
// server (and `vite preview`) proxies /api to a polytrace of one's own (POLYTRACE_API, default
// the development instance on 127.0.0.1:26686).
import { defineConfig } from 'vitest/config';

const api = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
  .POLYTRACE_API ?? 'http://127.0.0.1:26686';
const proxy = { '/api': { target: api, changeOrigin: false } };

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { host: '127.0.0.1', port: 25173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 25173, strictPort: true, proxy },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
