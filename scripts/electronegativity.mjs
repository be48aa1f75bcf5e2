#!/usr/bin/env node
// Audits the built Electron app in out/ with @doyensec/electronegativity. Builds nothing: run after
// `npx electron-vite build`. Fails when a HIGH (or MEDIUM: this checker rates sandbox: false only MEDIUM)
// finding is not explained in electronegativity-reviewed.json; prints every finding and one summary line.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'out');
const require = createRequire(path.join(root, 'package.json'));

if (!existsSync(path.join(out, 'main', 'index.js'))) {
  console.error('electronegativity: out/main/index.js is missing; build first (npx electron-vite build)');
  process.exit(1);
}

const { reviewed } = JSON.parse(
  readFileSync(path.join(root, 'scripts', 'electronegativity-reviewed.json'), 'utf8'),
);
// The checker cannot find the version in out/ and would judge defaults by Electron 0.1 (nodeIntegration on,
// remote module on): tell it the Electron we build against.
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const run = require('@doyensec/electronegativity');

const result = await run(
  {
    input: out,
    isSarif: false,
    customScan: [],
    excludeFromScan: [],
    isRelative: true,
    isVerbose: false,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  },
  false,
);

const isReviewed = (issue) =>
  reviewed.find(
    (r) =>
      r.id === issue.id &&
      r.file === issue.file &&
      (r.match === undefined || (issue.sample ?? '').includes(r.match)),
  );
const counts = { HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0 };
const failing = [];
const used = new Set();
for (const issue of result.issues) {
  const severity = issue.severity.name;
  counts[severity] = (counts[severity] ?? 0) + 1;
  const review = isReviewed(issue);
  if (review) used.add(review);
  const where = `${issue.file}:${issue.location.line}:${issue.location.column}`;
  const blocking = severity === 'HIGH' || severity === 'MEDIUM';
  const status = review ? 'reviewed' : blocking ? 'NOT REVIEWED' : 'not reviewed (low)';
  console.log(`${severity.padEnd(13)} ${issue.id.padEnd(28)} ${where.padEnd(28)} ${status}`);
  if (!review && blocking) failing.push(issue);
}
for (const r of reviewed)
  if (!used.has(r))
    console.log(`note: reviewed entry ${r.id} (${r.file}) matched no finding; remove it if the code changed`);
for (const e of result.errors ?? []) console.log(`checker error: ${e.file ?? ''} ${e.message ?? String(e)}`);

const summary =
  `electronegativity (Electron ${electronVersion}): ` +
  `${result.issues.length} findings (${counts.HIGH} high, ${counts.MEDIUM} medium, ${counts.LOW} low, ` +
  `${counts.INFORMATIONAL} informational), ${used.size} reviewed: `;
if (failing.length > 0) {
  console.log(
    `${summary}FAIL, ${failing.length} high or medium not reviewed (explain them in scripts/electronegativity-reviewed.json or fix them)`,
  );
  process.exit(1);
}
console.log(`${summary}ok`);
