#!/usr/bin/env node
// `npm run dist -- [electron-builder flags]`: builds out/ with electron-vite, then the installers with
// electron-builder and build/electron-builder.yml (AppImage + deb, dmg or nsis for this OS by default).
// Needs the Electron runtime; where it is not installed (offline machines) it stops with one line.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib/build.mjs';
import { findElectron } from './lib/electron.mjs';

const CONFIG = path.join('build', 'electron-builder.yml');
const argv = process.argv.slice(2);

const electron = findElectron();
if ('missing' in electron) {
  console.error(
    `npm run dist: cannot package DNS Witness because the Electron runtime is not installed (${electron.missing}); run \`npx install-electron\` where it can be downloaded, then try again.`,
  );
  process.exit(1);
}

/** Runs a Node CLI from node_modules and leaves with its exit code when it fails. */
function step(label, script, args) {
  console.log(`── ${label}`);
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', ...script), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error(`npm run dist: ${label} failed (see above).`);
    process.exit(r.status ?? 1);
  }
}

// The installed runtime serves packages for this OS, so electron-builder need not download it again;
// for another OS (--win on Linux, say) electron-builder fetches that platform's zip itself.
const hostFlags = {
  linux: ['--linux', '-l'],
  darwin: ['--mac', '--macos', '-m'],
  win32: ['--win', '--windows', '-w'],
};
const platformFlags = Object.values(hostFlags).flat();
const named = argv.filter((a) => platformFlags.includes(a));
const hostOnly = named.every((a) => (hostFlags[process.platform] ?? []).includes(a));

// electron-builder refuses a deb without the project's homepage (package.json `homepage`, or a GitHub
// `repository`/origin); say so before a long build rather than after it.
const buildsDeb =
  (named.length === 0 ? process.platform === 'linux' : named.some((a) => hostFlags.linux.includes(a))) &&
  !argv.some((a) => /^AppImage$/i.test(a)) &&
  !argv.some((a) => /^(dir|tar\.gz|zip|snap|rpm)$/i.test(a));
if (buildsDeb) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const origin = spawnSync('git', ['remote', 'get-url', 'origin'], { cwd: root, encoding: 'utf8' });
  const fromGit = origin.status === 0 && /github\.com/.test(origin.stdout);
  if (!pkg.homepage && !pkg.repository && !fromGit) {
    console.error(
      'npm run dist: the deb package needs the project\'s homepage: add "homepage": "https://…" to package.json, or build the AppImage only with `npm run dist -- --linux AppImage`.',
    );
    process.exit(1);
  }
}

step('build (electron-vite)', ['electron-vite', 'bin', 'electron-vite.js'], ['build']);
step(
  'package (electron-builder)',
  ['electron-builder', 'cli.js'],
  ['--config', CONFIG, ...(hostOnly ? [`--config.electronDist=${electron.dist}`] : []), ...argv],
);
console.log(`Packages written to ${path.join(root, 'dist')}`);
