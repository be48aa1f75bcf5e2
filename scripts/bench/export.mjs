// The evidence-export cases of `npm run bench`: a capture of N synthetic queries (1,000,000 by default)
// is written as a sealed journal, the built headless service loads it, and the bench times
// GET /api/export.csv (every row), GET /api/evidence.zip (CSV + pcap + journal + report + manifest) and
// the verifier on that bundle. The files are checked (row count, verify OK), not only timed.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { writeHistory } from './history-journal.mjs';
import { runCommand, startProcess, stopProcess } from './procs.mjs';

/** Target from the issue: 1,000,000 rows of CSV in at most 10 s. */
export const CSV_TARGET_MS = 10_000;

/** Streams `url` to `file` (or counts it); resolves with bytes, CRLF rows and the elapsed ms. */
async function timedDownload(url, file) {
  const t0 = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const sink = file ? createWriteStream(file) : null;
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    if (!file) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    if (sink && !sink.write(chunk)) await once(sink, 'drain');
  }
  if (sink) {
    sink.end();
    await once(sink, 'finish');
  }
  return { bytes, lines, ms: performance.now() - t0 };
}

/** Runs the export cases in `tmp`; `log` reports progress. Resolves with the figures. */
export async function benchExports({ root, tmp, rows, log }) {
  const dataDir = path.join(tmp, 'export-data');
  log(`export: writing a sealed journal of ${rows.toLocaleString('en-US')} queries…`);
  // One capture (50 queries a second fit a million in a day), written as the service writes it.
  const written = await writeHistory({ root, dataDir, queries: rows, rate: 50 });
  const capture = { id: written.captures[0].id, journalBytes: written.bytes };
  log(`export: starting DNS Witness on it (loading ${Math.round(capture.journalBytes / 1e6)} MB)…`);
  const loadStart = performance.now();
  const proc = startProcess('DNS Witness (export)', process.execPath, [
    path.join(root, 'out', 'main', 'headless.js'),
    '--listen',
    '127.0.0.1:0',
    '--upstream',
    '127.0.0.1:9',
    '--ui',
    '127.0.0.1:0',
    '--data-dir',
    dataDir,
    '--retention-days',
    '0',
  ]);
  try {
    // The history is read after DNS and the dashboard are up, and exports wait for it: time them after.
    const history = proc.waitForLine(/^history: /, 600_000);
    const m = await proc.waitForLine(/dashboard: (http:\/\/\S+)/, 600_000);
    await history;
    const loadMs = performance.now() - loadStart;
    const url = m[1].replace(/\/$/, '');
    log('export: GET /api/export.csv …');
    const csv = await timedDownload(`${url}/api/export.csv?captureId=${capture.id}`, null);
    if (csv.lines !== rows + 1) throw new Error(`the CSV has ${csv.lines - 1} rows, expected ${rows}`);
    log(`export: CSV ${rows.toLocaleString('en-US')} rows in ${(csv.ms / 1000).toFixed(2)} s`);
    log('export: GET /api/evidence.zip …');
    const zipFile = path.join(tmp, 'bundle.zip');
    const bundle = await timedDownload(`${url}/api/evidence.zip?captureId=${capture.id}`, zipFile);
    log(
      `export: bundle ${Math.round(bundle.bytes / 1e6)} MB in ${(bundle.ms / 1000).toFixed(2)} s; verifying…`,
    );
    const v0 = performance.now();
    const verify = await runCommand(
      'verify',
      process.execPath,
      [path.join(root, 'out', 'main', 'verify.js'), zipFile],
      900_000,
    );
    const verifyMs = performance.now() - v0;
    if (verify.code !== 0 || !verify.stdout.startsWith('OK '))
      throw new Error(`verify failed: ${verify.stdout}${verify.stderr}`);
    return {
      rows,
      journalBytes: capture.journalBytes,
      loadMs,
      csvMs: csv.ms,
      csvBytes: csv.bytes,
      bundleMs: bundle.ms,
      bundleBytes: bundle.bytes,
      verifyMs,
      verifyLine: verify.stdout.trim(),
    };
  } finally {
    await stopProcess(proc, 15_000);
  }
}

/** The markdown section for the export figures. */
export function renderExportMarkdown(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;
  const verdict =
    r.rows >= 1_000_000 ? (r.csvMs <= CSV_TARGET_MS ? 'PASS' : 'MISS') : 'not judged (fewer rows)';
  return [
    `| export of ${r.rows.toLocaleString('en-US')} queries | time | size | rate |`,
    '|---|---:|---:|---:|',
    `| CSV, \`GET /api/export.csv\` (every row) | ${s(r.csvMs)} | ${mb(r.csvBytes)} | ${Math.round(r.rows / (r.csvMs / 1000)).toLocaleString('en-US')} rows/s |`,
    `| evidence bundle, \`GET /api/evidence.zip\` (CSV + pcap + journal + report + manifest, deflated) | ${s(r.bundleMs)} | ${mb(r.bundleBytes)} | ${Math.round(r.rows / (r.bundleMs / 1000)).toLocaleString('en-US')} rows/s |`,
    `| \`npm run verify\` on that bundle | ${s(r.verifyMs)} | | |`,
    '',
    `CSV target (1,000,000 rows in ≤ 10 s): **${verdict}**. ` +
      `Journal: ${mb(r.journalBytes)}, loaded by the service in ${s(r.loadMs)} (not part of the figures). ` +
      `Verifier: \`${r.verifyLine}\`.`,
  ].join('\n');
}
