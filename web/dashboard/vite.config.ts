import { defineConfig } from 'vitest/config';

// `npm run dev` proxies the API, the SDK and the lab stream to a local `mtrace lab`
// (MTRACE_URL, default http://127.0.0.1:8080).
const backend = process.env.MTRACE_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': backend, '/sdk': backend, '/lab': backend },
  },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.ts'],
  },
});
