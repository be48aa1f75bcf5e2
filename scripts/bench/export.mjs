// The evidence-export cases of `npm run bench`: a capture of N synthetic queries (1,000,000 by default)
// is written as a sealed journal, the built headless service loads it, and the bench times
// GET /api/export.csv (every row), GET /api/evidence.zip (CSV + pcap + journal + report + manifest) and
// the verifier on that bundle. The files are checked (row count, verify OK), not only timed.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { runCommand, startProcess, stopProcess } from './procs.mjs';

/** Target from the issue: 1,000,000 rows of CSV in at most 10 s. */
export const CSV_TARGET_MS = 10_000;
const BLOCK = 4096;
const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

/** A DNS query and response for `name` (A, one answer), as base64, with the given id. */
function wire(id, name) {
  const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  const q = Buffer.concat([
    Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const r = Buffer.from(q);
  r[2] = 0x81;
  r[3] = 0x80;
  r[7] = 1;
  const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 18, 66, (id >> 8) & 255, id & 255]);
  return [q.toString('base64'), Buffer.concat([r, answer]).toString('base64')];
}

/**
 * Writes captures/<id>/journal.ndjson with `rows` queries from four devices (one of them the router
 * beaconing to safethings.avira.com), sealed like the engine seals its journal
 * (running counts, a closing seal as a clean stop writes), and its capture.json.
 */
export async function writeSyntheticCapture(dataDir, rows) {
  const id = '20261122-080000-be01';
  const dir = path.join(dataDir, 'captures', id);
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(path.join(dir, 'journal.ndjson'));
  let prev = '0'.repeat(64);
  let n = 0;
  let block = [];
  let from = 1;
  let count = 0;
  const names = ['eu.safethings.avira.com', 'www.example.com', 'time.example.net', 'cdn.example.org'];
  const wires = names.map((name, i) => wire(4096 + i, name));
  const flush = async () => {
    if (block.length === 0) return;
    const text = block.join('');
    n++;
    const to = from + block.length - 1;
    count += block.length;
    const sha = createHash('sha256')
      .update(`${prev}\n`)
      .update(text)
      .update(`#${n} ${from} ${to} ${block.length} ${count}\n`)
      .digest('hex');
    const seal = `{"chain":${n},"from":${from},"to":${to},"lines":${block.length},"count":${count},"sha256":"${sha}"}\n`;
    prev = sha;
    from = to + 1;
    block = [];
    if (!out.write(text + seal)) await once(out, 'drain');
  };
  for (let seq = 1; seq <= rows; seq++) {
    const k = seq % 4;
    const ts = T0 + seq * 250;
    const time = new Date(ts).toISOString();
    const [q, r] = wires[k];
    block.push(
      `{"seq":${seq},"ts":${ts},"time":"${time}","captureId":"${id}","client":"192.168.0.${k + 1}",` +
        `"clientPort":${40000 + (seq % 20000)},"transport":"udp","qname":"${names[k]}","qtype":"A",` +
        `"rcode":"NOERROR","answers":"18.66.1.2","latencyMs":12.345,"upstream":"1.1.1.1:53","size":64,` +
        `"error":"","watchRule":"${k === 0 ? 'avira-safethings' : ''}","q":"${q}","r":"${r}"}\n`,
    );
    if (block.length === BLOCK) await flush();
  }
  await flush();
  // The closing seal a clean stop writes: an empty block carrying the final count.
  n++;
  const closing = createHash('sha256')
    .update(`${prev}\n`)
    .update(`#${n} 0 0 0 ${count} closed\n`)
    .digest('hex');
  out.write(
    `{"chain":${n},"from":0,"to":0,"lines":0,"count":${count},"closed":true,"sha256":"${closing}"}\n`,
  );
  out.end();
  await once(out, 'finish');
  const stoppedAt = T0 + (rows + 1) * 250;
  writeFileSync(path.join(dir, 'capture.json'), JSON.stringify({ id, startedAt: T0, stoppedAt }) + '\n');
  return { id, journalBytes: statSync(path.join(dir, 'journal.ndjson')).size };
}

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
  const capture = await writeSyntheticCapture(dataDir, rows);
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
    const m = await proc.waitForLine(/dashboard: (http:\/\/\S+)/, 600_000);
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
