import { spawnSync } from 'node:child_process';

/** Integration tests run the built headless service (out/main/headless.js): build it first when stale. */
export default function setup(): void {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import('./scripts/lib/build.mjs').then((m) => m.buildIfNeeded({ quiet: true }))",
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('build failed: the headless service cannot be tested');
}
