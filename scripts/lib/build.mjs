// Builds out/ with electron-vite when it is missing or older than any source, so `npm start`,
// `npm run serve` and the tests always run what is in the tree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stamp = path.join(root, 'out', '.build-stamp');
const sources = ['electron', 'renderer', 'shared'];
const configs = ['electron.vite.config.ts', 'package.json', 'tsconfig.base.json'];

function newest(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name.endsWith('.test.ts')) continue;
    max = Math.max(max, newest(path.join(p, name)));
  }
  return max;
}

/** True when out/ is missing or older than a source file. */
export function buildIsStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const src = Math.max(
    ...sources.map((s) => newest(path.join(root, s))),
    ...configs.map((c) => newest(path.join(root, c))),
  );
  return src > built;
}

/** Builds when stale; exits the process with a clear line when the build fails. */
export function buildIfNeeded({ quiet = false } = {}) {
  if (!buildIsStale()) return;
  if (!quiet) console.log('Building DNS Witness (electron-vite build)…');
  const bin = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const r = spawnSync(process.execPath, [bin, 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: quiet ? 'pipe' : 'inherit',
  });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(String(r.stdout ?? '') + String(r.stderr ?? ''));
    console.error('Build failed (see above). Run `npm install` first if node_modules is missing.');
    process.exit(1);
  }
  writeFileSync(stamp, new Date().toISOString() + '\n');
}
