import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console is served under /console/ on the api's own origin: on the platforms the api serves
 * this build itself (docker/api/Dockerfile, CONSOLE_DIR), and in the prod profile the load
 * balancer sends /console/ to the web server and everything else to the api
 * (docker/lb/haproxy.cfg), so the browser never makes a cross-origin request and the api needs no
 * CORS for it. The dev server does
 * the same with a proxy: API_PROXY_TARGET is where the api listens (compose's dev profile sets
 * http://api:3000; `pnpm dev` on the host uses the default).
 */
const apiTarget = process.env.API_PROXY_TARGET ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    // No inline script or style ends up in index.html, so the CSP needs no 'unsafe-inline'.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: {
    host: process.env.VITE_HOST ?? '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/v1': { target: apiTarget },
      '/dev/token': { target: apiTarget },
    },
  },
});
