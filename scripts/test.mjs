#!/usr/bin/env node
// `npm test`: every check and every test, in the order that fails fastest:
// system tools → type-check → lint → knowledge-base lint → format → build → Electron audit → unit + integration (vitest) → e2e (Playwright).
// Ends with one line "tests: N passed, N failed, N skipped" and a non-zero exit code on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';

/** Command → Debian package that provides it. */
const TOOLS = {
  dig: 'bind9-dnsutils',
  kdig: 'knot-dnsutils',
  dnsperf: 'dnsperf',
  tshark: 'tshark',
  dnsmasq: 'dnsmasq-base',
  chromium: 'chromium',
  ip: 'iproute2',
  ss: 'iproute2',
  curl: 'curl',
  dnstap: 'golang-github-dnstap-golang-dnstap-cli',
  'dnstap-ldns': 'dnstap-ldns',
  unbound: 'unbound',
  dnsdist: 'dnsdist',
  // knotd's dnstap module is its own package, which no command reveals: installed together.
  knotd: 'knot knot-module-dnstap',
  promtool: 'prometheus',
  mosquitto: 'mosquitto',
  tcpdump: 'tcpdump',
  sqlite3: 'sqlite3',
  busybox: 'busybox',
};

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function ensureTools() {
  let missing = Object.keys(TOOLS).filter((c) => !has(c));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.flatMap((c) => TOOLS[c].split(' ')))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !isRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (has('apt-get') && (isRoot || sudo)) {
    console.log(`Installing test tools from Debian: ${pkgs.join(' ')}`);
    const pre = isRoot ? [] : ['sudo', '-n'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const sh = (args) =>
      spawnSync(pre[0] ?? args[0], pre.length ? [...pre.slice(1), ...args] : args.slice(1), {
        stdio: 'inherit',
        env,
      });
    sh(['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'update', '-qq']);
    sh([
      'apt-get',
      '-o',
      'DPkg::Lock::Timeout=600',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      ...pkgs,
    ]);
    missing = Object.keys(TOOLS).filter((c) => !has(c));
  }
  if (missing.length > 0)
    console.log(
      `Missing test tools: ${missing.join(', ')} (Debian: apt-get install ${[...new Set(missing.map((c) => TOOLS[c]))].join(' ')}); tests that need them will fail and say so.`,
    );
}

function step(name, cmd, args) {
  console.log(`\n── ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const results = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

ensureTools();
for (const [name, cmd, args] of [
  ['type-check (Node code)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json']],
  ['type-check (renderer)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.web.json']],
  ['lint', bin('eslint'), ['--max-warnings', '0', '.']],
  ['knowledge base (kb:lint)', process.execPath, [path.join(root, 'scripts/kb-lint.mjs')]],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
]) {
  if (!step(name, cmd, args)) {
    ok = false;
    results.failed++;
  }
}

console.log('\n── build');
buildIfNeeded();

// The built app, as shipped: webPreferences, CSP, openExternal… (scripts/electronegativity-reviewed.json).
if (
  !step('Electron security audit (electronegativity)', process.execPath, [
    path.join(root, 'scripts/electronegativity.mjs'),
  ])
) {
  ok = false;
  results.failed++;
}

const reports = path.join(root, 'test-results');
mkdirSync(reports, { recursive: true });
const vitestJson = path.join(reports, 'vitest.json');
if (
  // Every vitest project (unit and integration); the JSON report counts them together.
  !step('unit and integration tests (vitest)', bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${vitestJson}`,
  ])
)
  ok = false;
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  results.passed += v.numPassedTests ?? 0;
  results.failed += v.numFailedTests ?? 0;
  results.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}

const pwJson = path.join(reports, 'playwright.json');
if (existsSync(path.join(root, 'playwright.config.ts'))) {
  const r = spawnSync(bin('playwright'), ['test', '--reporter=list,json'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson },
  });
  console.log('');
  if (r.status !== 0) ok = false;
  if (existsSync(pwJson)) {
    const s = JSON.parse(readFileSync(pwJson, 'utf8')).stats ?? {};
    results.passed += (s.expected ?? 0) + (s.flaky ?? 0);
    results.failed += s.unexpected ?? 0;
    results.skipped += s.skipped ?? 0;
  }
}

if (!ok && results.failed === 0) results.failed = 1;
console.log(`\ntests: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exit(ok ? 0 : 1);
