// The API work of a history latency phase, as a dashboard and a user exporting evidence would ask it, run as
// a process of its own at a lower priority (nice +10): `node api-work.mjs URL CAPTURE_ID MS` asks for query
// pages, summaries, a CSV export of the whole history and an evidence bundle of CAPTURE_ID, then a page and a
// summary every second until MS milliseconds have passed, and prints what each step took as JSON. Reading
// hundreds of MB of answers is the client's work, not the server's: in the bench's own process it delayed
// the bench's DNS load and the local upstream (which float on the CPU the service is not pinned to), and the
// service was charged for it.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sleep } from './procs.mjs';
import { fetchPatiently } from './servers.mjs';

/** Nice value of the API client: behind the DNS load, the upstream and the service under test. */
const CLIENT_NICE = 10;

/** Streams `url` and counts its bytes; resolves { bytes, ms }. */
async function download(url) {
  const t0 = performance.now();
  const res = await fetchPatiently(url, 900_000);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  return { bytes, ms: performance.now() - t0 };
}

/** The API work, in order, for `ms`; resolves with how long each step took. */
async function apiWork(url, lastCapture, ms) {
  const stopAt = performance.now() + ms;
  const steps = [];
  const timed = async (what, fn) => {
    const t0 = performance.now();
    const r = await fn();
    steps.push({ what, ms: performance.now() - t0, bytes: r?.bytes ?? Number.NaN });
  };
  const pages = async (n, extra) => {
    for (let i = 0; i < n; i++)
      await timed('query page', () => download(`${url}/api/queries?offset=${i * 997}&limit=100${extra}`));
  };
  await pages(5, '');
  await timed('summary', () => download(`${url}/api/summary`));
  await timed('CSV export, whole history', () => download(`${url}/api/export.csv`));
  await timed('summary', () => download(`${url}/api/summary`));
  await timed('evidence bundle, one day', () => download(`${url}/api/evidence.zip?captureId=${lastCapture}`));
  await pages(5, '&name=site12');
  // The rest of the phase: a page and a summary every second, as an open dashboard asks.
  while (performance.now() < stopAt) {
    await timed('query page', () => download(`${url}/api/queries?limit=100`));
    await timed('summary', () => download(`${url}/api/summary`));
    await sleep(1000);
  }
  return steps;
}

/**
 * Runs the API work against the service at `url` for at least `ms` in a child process at nice +10;
 * resolves with its steps ({ what, ms, bytes }).
 */
export async function apiWorkProcess(url, lastCapture, ms) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), url, lastCapture, String(Math.ceil(ms))],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-4000)));
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  child.on('error', (e) => (err += String(e)));
  try {
    os.setPriority(child.pid, CLIENT_NICE);
  } catch {
    // Exited already: its output says why.
  }
  const { code, signal } = await closed;
  if (code !== 0) throw new Error(`the API client failed (${signal ?? `exit ${code}`}):\n${err}`);
  return JSON.parse(out.trimEnd().split('\n').at(-1));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, lastCapture, ms] = process.argv.slice(2);
  const steps = await apiWork(url, lastCapture, Number(ms));
  process.stdout.write(`${JSON.stringify(steps)}\n`);
}
