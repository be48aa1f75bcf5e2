import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin, ProxyOptions } from 'vite';

// Our folders are top-level (electron/, renderer/), so every entry is named explicitly.
const alias = { '@shared': resolve(import.meta.dirname, 'shared') };
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')) as {
  version: string;
};
const define = { __APP_VERSION__: JSON.stringify(pkg.version) };

/**
 * `npm run dev` without Electron (scripts/dev.mjs): the renderer's dev server forwards /api (HTTP and the
 * WebSocket stream) to the headless service at DNS_WITNESS_DEV_API, so the bridge keeps talking to its own
 * origin. The service accepts only its own Host and Origin: the Host is the target's (changeOrigin), and
 * the Origin is replaced only when it is the dev server's own, so other sites stay refused by the service.
 */
function devApiProxy(target: string | undefined): Record<string, ProxyOptions> | undefined {
  if (!target) return undefined;
  const serviceOrigin = new URL(target).origin;
  const presentOrigin = (proxyReq: http.ClientRequest, req: http.IncomingMessage): void => {
    const origin = req.headers.origin?.toLowerCase();
    if (origin !== undefined && origin === `http://${(req.headers.host ?? '').toLowerCase()}`)
      proxyReq.setHeader('origin', serviceOrigin);
  };
  return {
    '/api': {
      target,
      changeOrigin: true,
      ws: true,
      configure(proxy) {
        proxy.on('proxyReq', presentOrigin);
        proxy.on('proxyReqWs', presentOrigin);
      },
    },
  };
}

/**
 * The dev server only: Vite injects inline scripts (React Fast Refresh's preamble) and <style> elements (CSS
 * imports), which index.html's CSP forbids. Builds keep the strict policy.
 */
const devCsp: Plugin = {
  name: 'dns-witness-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) =>
    html.replace(
      /(http-equiv="Content-Security-Policy"\s+content=")([^"]*)/,
      (_, meta: string, csp: string) =>
        meta +
        csp
          .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
          .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    ),
};

export default defineConfig({
  main: {
    resolve: { alias },
    define,
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          headless: resolve(import.meta.dirname, 'electron/headless/cli.ts'),
          verify: resolve(import.meta.dirname, 'electron/engine/export/verify-cli.ts'),
          import: resolve(import.meta.dirname, 'electron/engine/import/cli.ts'),
          // The DNS thread: a worker_threads entry of its own (electron/engine/dns/dns-thread.ts starts it).
          'dns-worker': resolve(import.meta.dirname, 'electron/engine/dns/dns-worker.ts'),
          // The dashboard's imports run here, in a worker thread of the app or the service (import/service.ts).
          'import-worker': resolve(import.meta.dirname, 'electron/engine/import/worker.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require nothing but electron: bundle zod, which the contract table imports.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'electron/preload/index.ts') },
        // Sandboxed preload scripts cannot be ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    resolve: { alias },
    plugins: [react(), devCsp],
    server: { proxy: devApiProxy(process.env['DNS_WITNESS_DEV_API']) },
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      minify: true,
      rollupOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
    },
  },
});
