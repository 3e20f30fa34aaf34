/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is served by the API itself under /app/ (same origin: no CORS, no token leaves it).
// `npm run dev` proxies the API's paths to a running `make run` (CIRRUS_API, default :8787).
const api = process.env.CIRRUS_API ?? 'http://127.0.0.1:8787';
const apiPaths = [
  '/auth', '/orders', '/inventory', '/nodes', '/sourcing-rules', '/products', '/product-categories',
  '/search', '/analytics', '/webhooks', '/connectors', '/ops', '/architect', '/health', '/api-keys',
  '/sla', '/exceptions', '/invoices', '/billing',
];

export default defineConfig({
  base: '/app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }])),
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
