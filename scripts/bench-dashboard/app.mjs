// The service under test: a private copy of the build (so a concurrent rebuild of out/ cannot change it
// mid-run), optionally with an unminified renderer for readable profiles, plus the loopback upstream.
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startUpstream, startWitness, freePort } from '../bench/servers.mjs';

/** Every name under bench.test answers 192.0.2.1; anything else under test. is NXDOMAIN; no recursion. */
export const UPSTREAM_CONF = 'address=/bench.test/192.0.2.1\nlocal=/test/\n';
export const PROBE_NAME = 'probe.bench.test';

/**
 * Copies out/main and out/renderer under `dir`/app, next to a node_modules link and a package.json that
 * keeps the bundles ES modules. With `readable`, the renderer is rebuilt unminified with source maps (for
 * profiles; React is still its production build). `rendererDir`, when given, is a built renderer to serve
 * instead of out/renderer (to measure a candidate change). Returns the folder to use as `root` for
 * startWitness.
 */
export async function prepareApp({ root, dir, readable, rendererDir }) {
  const app = path.join(dir, 'app');
  mkdirSync(path.join(app, 'out'), { recursive: true });
  writeFileSync(path.join(app, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  cpSync(path.join(root, 'out', 'main'), path.join(app, 'out', 'main'), { recursive: true });
  const rendererOut = path.join(app, 'out', 'renderer');
  if (readable) {
    const { build } = await import('vite');
    const { default: react } = await import('@vitejs/plugin-react');
    await build({
      configFile: false,
      logLevel: 'warn',
      root: path.join(root, 'renderer'),
      base: './',
      resolve: { alias: { '@shared': path.join(root, 'shared') } },
      plugins: [react()],
      build: {
        outDir: rendererOut,
        emptyOutDir: true,
        minify: false,
        sourcemap: true,
        rollupOptions: { input: path.join(root, 'renderer', 'index.html') },
      },
    });
  } else {
    cpSync(rendererDir ?? path.join(root, 'out', 'renderer'), rendererOut, { recursive: true });
  }
  for (const f of [path.join(app, 'out', 'main', 'headless.js'), path.join(rendererOut, 'index.html')])
    if (!existsSync(f)) throw new Error(`${f} is missing: was out/ being rebuilt? Run the bench again.`);
  return app;
}

/** The renderer's script bundles in `app` (their names carry a content hash: which build was measured). */
export function bundleNames(app) {
  return readdirSync(path.join(app, 'out', 'renderer', 'assets')).filter((f) => f.endsWith('.js'));
}

/** Starts the authoritative-only dnsmasq upstream and DNS Witness in front of it, both on 127.0.0.1. */
export async function startServers({ app, dir }) {
  const conf = path.join(dir, 'upstream.conf');
  writeFileSync(conf, UPSTREAM_CONF);
  const upstream = await startUpstream({
    dir,
    conf,
    port: await freePort(),
    cpu: null,
    probeName: PROBE_NAME,
  });
  const dataDir = path.join(dir, 'witness-data');
  mkdirSync(dataDir);
  const witness = await startWitness({
    root: app,
    dataDir,
    upstreamPort: upstream.port,
    cpu: null,
    probeName: PROBE_NAME,
  });
  return { upstream, witness };
}
