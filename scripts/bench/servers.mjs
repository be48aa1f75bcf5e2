// The DNS servers of the bench, all on 127.0.0.1: one authoritative-only dnsmasq upstream with local
// names, the two dnsmasq peers and DNS Witness in front of it. Nothing here can reach beyond loopback.
import dgram from 'node:dgram';
import {
  createReadStream,
  openSync,
  readSync,
  closeSync,
  statSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { runCommand, sleep, startProcess } from './procs.mjs';

/** Name and address of the i-th bench record (1-based): n0001.bench.test → 10.0.0.1. */
export function benchRecord(i) {
  const name = `n${String(i).padStart(4, '0')}.bench.test`;
  return { name, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
}

/** Writes the upstream's host records and dnsperf's query file; returns their paths. */
export function writeBenchData(dir, count) {
  const conf = path.join(dir, 'upstream.conf');
  const queries = path.join(dir, 'queries.txt');
  const records = Array.from({ length: count }, (_, k) => benchRecord(k + 1));
  writeFileSync(conf, records.map((r) => `host-record=${r.name},${r.address}\n`).join(''));
  writeFileSync(queries, records.map((r) => `${r.name} A\n`).join(''));
  return { conf, queries };
}

function tryBind(port) {
  return new Promise((resolve) => {
    const udp = dgram.createSocket('udp4');
    udp.once('error', () => resolve(0));
    udp.bind(port, '127.0.0.1', () => {
      const p = udp.address().port;
      const tcp = net.createServer();
      tcp.once('error', () => udp.close(() => resolve(0)));
      tcp.listen(p, '127.0.0.1', () => tcp.close(() => udp.close(() => resolve(p))));
    });
  });
}

/** A port free for both UDP and TCP on 127.0.0.1 right now (the OS picks it). */
export async function freePort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const p = await tryBind(0);
    if (p) return p;
  }
  throw new Error('no free port on 127.0.0.1 after 20 attempts');
}

/** Wraps a command in `taskset -c cpu` when `cpu` is not null. */
export function pinned(cmd, args, cpu) {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** Sends one A query over UDP; resolves to the answer addresses, or null after `timeoutMs`. */
export function probe(port, name, timeoutMs = 300) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const done = (value) => {
      clearTimeout(timer);
      sock.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('error', () => done(null));
    sock.on('message', (msg) => {
      let pkt;
      try {
        pkt = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (pkt.id !== id) return;
      done((pkt.answers ?? []).filter((a) => a.type === 'A').map((a) => a.data));
    });
    const q = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    });
    sock.send(q, port, '127.0.0.1');
  });
}

/** Polls until the server on `port` answers `name`; throws after ~10 s or when `proc` exits. */
export async function waitAnswering(proc, port, name) {
  for (let i = 0; i < 30; i++) {
    if (proc.exitInfo) throw new Error(`${proc.name} exited before answering:\n${proc.tail()}`);
    const a = await probe(port, name);
    if (a) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not answer on 127.0.0.1:${port} within 10 s:\n${proc.tail()}`);
}

// dnsmasq drops root to "nobody", which cannot write the log into our private temp folder.
const asUser = () => (process.getuid?.() === 0 ? [`--user=${os.userInfo().username}`] : []);

/** Starts the authoritative-only upstream: local host records, no cache, no upstream of its own. */
export async function startUpstream({ dir, conf, port, cpu, probeName }) {
  const log = path.join(dir, 'upstream.log');
  const args = [
    '--keep-in-foreground',
    `--conf-file=${conf}`,
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--cache-size=0',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--pid-file=${path.join(dir, 'upstream.pid')}`,
    `--log-facility=${log}`,
    ...asUser(),
  ];
  const proc = startProcess('upstream dnsmasq', ...pinned('dnsmasq', args, cpu));
  await waitAnswering(proc, port, probeName);
  return { proc, port, log };
}

/**
 * Starts dnsmasq as a forwarding peer with the flags of docs/BENCHMARKS.md; `logQueries` adds the query log.
 * Resolves once it answers `probeName`, or at once without a `probeName`.
 */
export async function startDnsmasqPeer({ dir, tag, port, upstreamPort, cpu, logQueries, probeName }) {
  const log = path.join(dir, `${tag}.log`);
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    `--server=127.0.0.1#${upstreamPort}`,
    '--cache-size=0',
    '--no-negcache',
    '--dns-forward-max=1000',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    `--pid-file=${path.join(dir, `${tag}.pid`)}`,
    // Without --log-queries only start-up lines and SIGUSR1 statistics go here.
    `--log-facility=${log}`,
    ...(logQueries ? ['--log-queries'] : []),
    ...asUser(),
  ];
  const proc = startProcess(tag, ...pinned('dnsmasq', args, cpu));
  if (probeName) await waitAnswering(proc, port, probeName);
  return { proc, port, log, args: args.map((a) => a.replaceAll(dir, '$TMP')) };
}

async function getJson(url, timeoutMs = 5000) {
  const res = await fetchPatiently(url, timeoutMs);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
}

/**
 * GET that waits out the service's load shedding (429/503 with Retry-After: it gives API work only a share
 * of each second, and a big capture's summary can use it up); at most 30 tries.
 */
export async function fetchPatiently(url, timeoutMs = 5000) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if ((res.status !== 429 && res.status !== 503) || attempt >= 30) return res;
    await res.body?.cancel();
    const wait = Number(res.headers.get('retry-after')) || 1;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

/**
 * Starts out/main/headless.js on a free port with every query journaled into `dataDir`; `nodeFlags` go to
 * node before the script (the soak passes --trace-gc).
 */
export async function startWitness({
  root,
  dataDir,
  upstreamPort,
  cpu,
  profileDir,
  probeName,
  nodeFlags = [],
  extraArgs = [],
}) {
  const node = [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const args = [
    ...node,
    path.join(root, 'out', 'main', 'headless.js'),
    '--listen',
    '127.0.0.1:0',
    '--upstream',
    `127.0.0.1:${upstreamPort}`,
    '--ui',
    '127.0.0.1:0',
    '--data-dir',
    dataDir,
    ...extraArgs,
  ];
  const proc = startProcess('DNS Witness', ...pinned(process.execPath, args, cpu));
  const m = await proc.waitForLine(/dashboard: (http:\/\/\S+)/, 30_000);
  const url = m[1].replace(/\/$/, '');
  const health = await getJson(`${url}/api/health`);
  const udp = (health.dns ?? []).map(String).find((d) => /^127\.0\.0\.1:\d+\/udp$/.test(d));
  if (!udp) throw new Error(`DNS Witness reports no UDP listener on 127.0.0.1: ${JSON.stringify(health)}`);
  const port = Number(udp.slice(udp.indexOf(':') + 1, udp.indexOf('/')));
  await waitAnswering(proc, port, probeName);
  return {
    proc,
    port,
    url,
    summary: () => getJson(`${url}/api/summary`),
    // The store's own count of what it can list, read back rather than taken from the live counters.
    storedQueries: async () => (await getJson(`${url}/api/queries?limit=1`, 60_000)).total,
  };
}

/**
 * Starts the bare Node.js UDP relay (node-floor.mjs: the floor for any forwarder on Node) on a free port,
 * relaying to `upstreamPort`; resolves once it answers `probeName`.
 */
export async function startNodeFloor({ root, upstreamPort, cpu, probeName }) {
  const port = await freePort();
  const proc = startProcess(
    'node floor',
    ...pinned(
      process.execPath,
      [path.join(root, 'scripts', 'bench', 'node-floor.mjs'), String(port), String(upstreamPort)],
      cpu,
    ),
  );
  await waitAnswering(proc, port, probeName);
  return { proc, port };
}

/** Reads VmRSS, VmHWM (kB) of a live process from /proc; null fields when unavailable. */
export function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return { rssKb: NaN, hwmKb: NaN };
  }
}

function readFrom(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}

/**
 * Asks a dnsmasq for its counters (SIGUSR1 writes them to its log) and returns the cumulative
 * { forwarded, local } query counts. Throws when no report appears within 3 s.
 */
export async function dnsmasqCounters(server) {
  const offset = statSync(server.log).size;
  process.kill(server.proc.pid, 'SIGUSR1');
  for (let i = 0; i < 60; i++) {
    await sleep(50);
    const m = /queries forwarded (\d+), queries answered locally (\d+)/.exec(readFrom(server.log, offset));
    if (m) return { forwarded: Number(m[1]), local: Number(m[2]) };
  }
  throw new Error(`${server.proc.name} wrote no statistics after SIGUSR1 (log ${server.log})`);
}

/** Counts lines matching `re` in `file` from byte `offset`, streaming (the query log reaches 100s of MB). */
export async function countLines(file, offset, re) {
  let n = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { start: offset, encoding: 'utf8' })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (re.test(line)) n++;
  }
  if (rest && re.test(rest)) n++;
  return n;
}

/** Resolves `name` with dig over UDP or TCP; returns dig's short answer (addresses, one per line). */
export async function dig(port, name, tcp) {
  const args = ['@127.0.0.1', '-p', String(port), '+short', '+time=2', '+tries=1', name, 'A'];
  if (tcp) args.push('+tcp');
  const r = await runCommand('dig', 'dig', args, 10_000);
  return r.stdout.trim();
}
