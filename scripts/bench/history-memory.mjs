// Where the service's memory is on a long history: `node scripts/bench/history-memory.mjs --queries N`
// writes N queries of history (as `npm run bench -- --history N` does), starts the built headless service
// on it with memory-probe.cjs preloaded and prints, once the history is loaded and after each pass of the
// bench's API work (query pages, a summary, a CSV of the whole history, the evidence bundle of the last
// capture, name-filtered pages), RSS and its parts: file-backed, glibc heap, V8 heap, ArrayBuffers.
// `--gc` also prints them after full collections (what is live). No DNS load; loopback only.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeHistory } from './history-journal.mjs';
import { makeTempDir, sleep } from './procs.mjs';
import { fetchPatiently, freePort } from './servers.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '1000000' },
    passes: { type: 'string', default: '2' },
    gc: { type: 'boolean', default: false },
  },
});
const queries = Number(values.queries);
const passes = Number(values.passes);
if (!Number.isInteger(queries) || queries < 1 || !Number.isInteger(passes) || passes < 0)
  throw new Error('--queries and --passes take whole numbers');
if (!existsSync(path.join(root, 'out', 'main', 'headless.js'))) throw new Error('build first: npm run build');

const tmp = makeTempDir();
const dataDir = path.join(tmp, 'data');
mkdirSync(dataDir);
const out = path.join(tmp, 'probe.jsonl');
try {
  const history = await writeHistory({ root, dataDir, queries, checkpoints: true });
  const last = history.captures[history.captures.length - 1].id;
  const [dns, ui] = [await freePort(), await freePort()];
  const args = [
    ...(values.gc ? ['--expose-gc'] : []),
    '-r',
    path.join(import.meta.dirname, 'memory-probe.cjs'),
    path.join(root, 'out', 'main', 'headless.js'),
    '--listen',
    `127.0.0.1:${dns}`,
    '--upstream',
    '127.0.0.1:9',
    '--ui',
    `127.0.0.1:${ui}`,
    '--data-dir',
    dataDir,
    '--retention-days',
    '0',
  ];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, MEMORY_PROBE_OUT: out },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${ui}`;
  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  const probe = async (state) => {
    const before = lines().length;
    process.kill(proc.pid, 'SIGUSR2');
    const want = before + (values.gc ? 2 : 1);
    for (let i = 0; i < 300 && lines().length < want; i++) await sleep(100);
    for (const l of lines().slice(before)) console.log(JSON.stringify({ queries, state, ...JSON.parse(l) }));
  };
  const download = async (p) => {
    const res = await fetchPatiently(url + p, 900_000);
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
    for await (const chunk of res.body) void chunk;
  };
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null || i > 3000) throw new Error('the service did not load its history');
    const h = await fetch(`${url}/api/health`)
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
    if (h?.history?.state === 'loaded' && (h.history.progress ?? 1) >= 1) break;
    await sleep(100);
  }
  await sleep(2000);
  await probe('loaded');
  for (let pass = 1; pass <= passes; pass++) {
    for (let i = 0; i < 5; i++) await download(`/api/queries?offset=${i * 997}&limit=100`);
    await download('/api/summary');
    await download('/api/export.csv');
    await download('/api/summary');
    await download(`/api/evidence.zip?captureId=${last}`);
    for (let i = 0; i < 5; i++) await download(`/api/queries?offset=${i * 997}&limit=100&name=site12`);
    await download('/api/summary');
    await sleep(2000);
    await probe(`after API pass ${pass}`);
  }
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
  console.log(JSON.stringify({ queries, state: 'peak', rssMB: Math.round(Number(hwm?.[1]) / 1024) }));
  proc.kill('SIGTERM');
  await new Promise((resolve) => proc.once('exit', resolve));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
