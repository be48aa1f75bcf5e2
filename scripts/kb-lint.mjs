#!/usr/bin/env node
// `npm run kb:lint [-- --json]`: checks shared/kb/ (shared/kb/lint.ts) and prints one summary line,
// "N rules, V vendors, F fixes, S sources", or with --json {"rules":N,"vendors":V,"fixes":F,"sources":S}.
// Errors go to stderr, one a line, and set exit code 1. TypeScript is loaded with jiti, the loader
// ESLint and Vite already use, so nothing is built first.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kb = path.join(root, 'shared', 'kb');
const jiti = createJiti(import.meta.url);
const { lintKb, summaryLine } = await jiti.import(path.join(kb, 'lint.ts'));

const files = {};
for (const name of readdirSync(path.join(kb, 'rules')).sort()) {
  if (!name.endsWith('.json')) continue;
  try {
    files[name] = JSON.parse(readFileSync(path.join(kb, 'rules', name), 'utf8'));
  } catch (e) {
    files[name] = { error: String(e) };
  }
}
const index = readFileSync(path.join(kb, 'index.ts'), 'utf8');
const listed = [...index.matchAll(/from '\.\/rules\/([^']+\.json)'/g)].map((m) => m[1]);
const bypass = JSON.parse(readFileSync(path.join(kb, 'bypass.json'), 'utf8'));

const { errors, summary } = lintKb(files, bypass, listed);
for (const e of errors) console.error(`kb:lint: ${e}`);
console.log(process.argv.includes('--json') ? JSON.stringify(summary) : summaryLine(summary));
process.exit(errors.length > 0 ? 1 : 0);
