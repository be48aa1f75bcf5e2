// `npm run bench -- --soak MINUTES`: DNS Witness under a steady good load for MINUTES while the bad traffic
// rotates, one kind per phase; every sample interval it notes the good queries' fate and latency, the
// service's RSS, open file descriptors, CPU and /api/health. docs/BENCHMARKS.md explains the method.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { machineInfo, otherCpuMeter, processCpuMeter, revision } from './machine.mjs';
import { makeTempDir, onCleanup, sleep, stopProcess } from './procs.mjs';
import { benchRecord, freePort, memoryOf, startUpstream, startWitness, writeBenchData } from './servers.mjs';
import {
  LOST_MS,
  fillDisk,
  freeDisk,
  garbageUdp,
  goodLoad,
  halfOpenHttp,
  slowTcp,
  tcpQuery,
} from './soak-traffic.mjs';
import { median, percentileSorted } from './stats.mjs';

/** The phases in order; the first and last are calm, so the end can be compared with the start. */
export const PHASES = [
  { key: 'calm', what: 'good load only (baseline)' },
  { key: 'garbage-udp', what: 'garbage UDP datagrams, 1,000/s from 127.0.0.2' },
  { key: 'slow-tcp', what: 'slow DNS over TCP: 8 addresses × 40 connections, trickling or silent' },
  { key: 'half-open-http', what: 'half-open HTTP: 8 addresses × 48 connections, partial headers or bodies' },
  { key: 'upstream-flap', what: 'upstream silent (SIGSTOP), back, stopped, restarted: a quarter each' },
  { key: 'disk-full', what: 'data folder (a tmpfs) filled to ENOSPC for half the phase, then freed' },
  { key: 'calm-after', what: 'good load only (recovery)' },
];
const GARBAGE_RATE = 1000;
/** Samples of the first phase skipped as warm-up (the service's first seconds allocate its buffers). */
const WARM_UP_MS = 30_000;
/** "Flat": the recovery phase's median within this of the baseline's. */
const RSS_FLAT_SHARE = 0.1;
const RSS_FLAT_KB = 10 * 1024;
const FDS_FLAT = 5;
/**
 * What a recorded query costs in memory by design: a capture keeps every query in typed-array columns
 * (capture/columns.ts: 3 × 8 + 4 + 2 + 2 + 1 + 8 × 4 bytes a row). Growth beyond that is what "flat" judges.
 */
const COLUMN_BYTES_PER_QUERY = 65;
/** Journal bytes per query budgeted on the tmpfs (453 measured), plus room for the rest. */
const TMPFS_BYTES_PER_QUERY = 700;
const TMPFS_SPARE_MB = 64;
/** Longest time the disk stays full: the service keeps 64 MiB of unwritten queries (~140,000) in memory. */
const MAX_FULL_MS = 240_000;

const addresses = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

function openFds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/**
 * Datagrams the kernel dropped (receive buffer full) on the UDP sockets process `pid` holds, from the
 * drops column of /proc/net/udp and udp6; NaN without /proc. Tells a query the service never saw from one
 * it lost.
 */
export function udpDrops(pid) {
  try {
    const inodes = new Set();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
    let drops = 0;
    for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length >= 13 && inodes.has(f[9])) drops += Number(f[f.length - 1]);
      }
    }
    return drops;
  } catch {
    return NaN;
  }
}

/** The Udp counters of /proc/net/snmp (what `netstat -su` shows), system-wide; null without /proc. */
export function udpSnmp(text = null) {
  try {
    const lines = (text ?? readFileSync('/proc/net/snmp', 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('Udp: '));
    const [names, values] = lines.map((l) => l.slice(5).trim().split(/\s+/));
    return Object.fromEntries(names.map((n, k) => [n, Number(values[k])]));
  } catch {
    return null;
  }
}

/**
 * The service's event-loop stalls (soak-stall-probe.cjs) and garbage-collector pauses (--trace-gc), from its
 * stdout. Each stall is put down to what filled it: GC (its pauses cover half of it or more), the service's
 * own work (it used CPU for half of it or more) or waiting (it was not on a CPU: other processes, or a
 * blocking call).
 */
export class StallLog {
  origin = NaN;
  stalls = [];
  gcs = [];

  line(text) {
    const o = /^soak-stall-origin ([\d.]+)$/.exec(text);
    if (o) this.origin = Number(o[1]);
    const st = /^soak-stall (\d+) (\d+) (\d+)$/.exec(text);
    if (st) this.stalls.push({ t: Number(st[1]), ms: Number(st[2]), cpuMs: Number(st[3]) });
    const g =
      /\s(\d+) ms: (Scavenge|Minor Mark-Compact|Mark-Compact(?: \(reduce\))?|Mark-Sweep)\b[^,]*, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/.exec(
        text,
      );
    // Stamped when the collection is over; held as the interval it paused the loop.
    if (g) this.gcs.push({ end: Number(g[1]), ms: Number(g[3]), full: g[2] !== 'Scavenge' });
  }

  /** Stalls and GC pauses between two wall-clock times (epoch ms). */
  within(fromEpoch, toEpoch) {
    const from = fromEpoch - this.origin;
    const to = toEpoch - this.origin;
    const gcs = this.gcs.filter((g) => g.end >= from && g.end < to);
    const out = { stalls: 0, maxMs: 0, gc: 0, busy: 0, waiting: 0, gcMs: 0, gcMaxMs: 0 };
    for (const g of gcs) {
      out.gcMs += g.ms;
      out.gcMaxMs = Math.max(out.gcMaxMs, g.ms);
    }
    if (!Number.isFinite(this.origin)) return out;
    for (const st of this.stalls) {
      if (st.t < from || st.t >= to) continue;
      out.stalls++;
      out.maxMs = Math.max(out.maxMs, st.ms);
      // A collection stamped inside the stall (plus the probe's step and some slack) paused it.
      const paused = this.gcs
        .filter((g) => g.end >= st.t && g.end - g.ms <= st.t + st.ms + 30)
        .reduce((n, g) => n + g.ms, 0);
      if (paused * 2 >= st.ms) out.gc++;
      else if (st.cpuMs * 2 >= st.ms) out.busy++;
      else out.waiting++;
    }
    return out;
  }
}

/** The busiest other processes right now (ps), for the report's "what else was running". */
function busiestOthers(ownPids) {
  const r = spawnSync('ps', ['-eo', 'pid=,pcpu=,comm=', '--sort=-pcpu'], { encoding: 'utf8' });
  if (r.status !== 0) return 'unknown';
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(
      ([pid, pcpu]) => !ownPids.includes(Number(pid)) && Number(pid) !== process.pid && Number(pcpu) >= 1,
    )
    .slice(0, 6)
    .map(([, pcpu, comm]) => `${comm} ${pcpu} %`);
  return rows.length ? rows.join(', ') : 'none above 1 %';
}

async function health(url) {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) });
    const body = await res.json();
    return {
      status: res.status,
      codes: (body.problems ?? []).map((p) => p.code),
      ms: performance.now() - t0,
    };
  } catch (err) {
    return { status: 0, codes: [`no answer (${err.name})`], ms: performance.now() - t0 };
  }
}

/** Mounts a tmpfs of `mb` MiB on `dir` (root only); returns null when mounted, else why not. */
function mountTmpfs(dir, mb) {
  if (process.getuid?.() !== 0) return 'not root: the disk-full phase needs a tmpfs mounted as root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  onCleanup(() => {
    // Lazily when something still holds it (a killed child's last moments).
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  });
  return null;
}

/**
 * Runs the soak and returns { markdown, json }. `log` gets progress lines. The caller builds out/ first and
 * calls cleanup() afterwards.
 */
export async function runSoak({ root, minutes, rate, names, pin, tmpParent, log, command }) {
  const sampleMs = minutes >= 5 ? 10_000 : 5_000;
  // Whole samples per phase, so every sample belongs to one phase; the run is MINUTES rounded to that.
  const perPhase = Math.max(2, Math.round((minutes * 60_000) / PHASES.length / sampleMs));
  const phaseMs = perPhase * sampleMs;
  const totalMs = phaseMs * PHASES.length;
  const tmp = makeTempDir(tmpParent);
  const info = machineInfo(path.dirname(tmp));
  const data = writeBenchData(tmp, names);
  const probeName = benchRecord(1).name;

  const dataDir = path.join(tmp, 'witness-data');
  mkdirSync(dataDir);
  const tmpfsMb = Math.ceil((rate * (totalMs / 1000) * TMPFS_BYTES_PER_QUERY) / 2 ** 20) + TMPFS_SPARE_MB;
  const diskSkipped = mountTmpfs(dataDir, tmpfsMb);
  if (diskSkipped) log(`note: skipping the disk-full phase (${diskSkipped})`);

  log(`temp folder ${tmp}; starting the upstream and DNS Witness on 127.0.0.1…`);
  const upstreamPort = await freePort();
  const startUp = () =>
    startUpstream({ dir: tmp, conf: data.conf, port: upstreamPort, cpu: null, probeName });
  let upstream = await startUp();
  // --trace-gc prints the JS heap after each full collection: the live heap, apart from RSS, which also
  // holds the columns (ArrayBuffers outside the heap), socket buffers and what the allocator keeps.
  // soak-stall-probe.cjs prints the service's own event-loop stalls with the CPU it used meanwhile.
  const witness = await startWitness({
    root,
    dataDir,
    upstreamPort,
    cpu: pin ? 0 : null,
    probeName,
    nodeFlags: ['--trace-gc', '--require', path.join(import.meta.dirname, 'soak-stall-probe.cjs')],
  });
  const pid = witness.proc.pid;
  const gc = { lastLiveMb: NaN, fullGcs: 0 };
  const stalls = new StallLog();
  let gcText = '';
  witness.proc.child.stdout.on('data', (chunk) => {
    const lines = (gcText + chunk).split('\n');
    gcText = lines.pop() ?? '';
    for (const line of lines) {
      const m = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
      if (m) {
        gc.lastLiveMb = Number(m[1]);
        gc.fullGcs++;
      }
      stalls.line(line);
    }
  });
  // The probe writes to stderr, apart from --trace-gc's buffered stdout, so their lines never interleave.
  let probeText = '';
  witness.proc.child.stderr.on('data', (chunk) => {
    const lines = (probeText + chunk).split('\n');
    probeText = lines.pop() ?? '';
    for (const line of lines) stalls.line(line);
  });
  const snmpBefore = udpSnmp();
  const uiPort = Number(new URL(witness.url).port);
  const measured = revision(root);
  const othersAtStart = busiestOthers([pid, upstream.proc.pid]);
  const loadAtStart = os.loadavg();

  log(
    `soak: ${PHASES.length} phases of ${phaseMs / 1000} s (${(totalMs / 60_000).toFixed(1)} min), ` +
      `${rate} good queries/s, a sample every ${sampleMs / 1000} s`,
  );
  const runStart = performance.now();
  const runEpoch = performance.timeOrigin + runStart;
  const intervalOf = (t) => Math.floor((t - runStart) / sampleMs);
  const good = await goodLoad({
    port: witness.port,
    rate,
    names,
    intervalOf,
    maxQueries: Math.ceil((rate * totalMs) / 1000),
  });
  const ended = new AbortController();

  // One TCP query a second from 127.0.0.1: can a newcomer still get a TCP slot?
  const tcp = new Map();
  const tcpLoop = (async () => {
    for (let n = 0; n < totalMs / 1000 + 5 && !ended.signal.aborted; n++) {
      const i = intervalOf(performance.now());
      const r = await tcpQuery(witness.port, benchRecord((n % names) + 1).name);
      const b = tcp.get(i) ?? { sent: 0, ok: 0 };
      b.sent++;
      if (r.ok) b.ok++;
      tcp.set(i, b);
      await sleep(Math.max(0, 1000 - r.ms));
    }
  })();

  // The samples: taken at the end of each interval.
  const samples = [];
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const sampler = (async () => {
    for (let i = 0; i < totalMs / sampleMs; i++) {
      const cpu = processCpuMeter(pid);
      const others = otherCpuMeter([pid, upstream.proc.pid]);
      await sleep(Math.max(0, runStart + (i + 1) * sampleMs - performance.now()));
      const { rssKb } = memoryOf(pid);
      const fds = openFds(pid);
      const heapMb = gc.lastLiveMb;
      const fullGcs = gc.fullGcs;
      // The upstream's too: a query it never read comes back as SERVFAIL after the service's upstream timeout.
      const drops = {
        service: udpDrops(pid),
        bench: udpDrops(process.pid),
        upstream: udpDrops(upstream.proc.pid),
        upstreamPid: upstream.proc.pid,
      };
      // Between the flap's stop and restart there is no upstream process to read.
      if (!Number.isFinite(drops.upstream)) Object.assign(drops, { upstream: 0, upstreamPid: null });
      const cpuShare = cpu() / (sampleMs / 1000);
      const othersShare = others();
      const lagP99 = lag.percentile(99) / 1e6;
      const lagMax = lag.max / 1e6;
      lag.reset();
      const h = await health(witness.url);
      const s = {
        i,
        phase: PHASES[Math.floor(i / perPhase)].key,
        rssKb,
        fds,
        cpuShare,
        othersShare,
        lagP99,
        lagMax,
        drops,
        heapMb,
        fullGcs,
        health: h,
      };
      samples.push(s);
      log(
        `${fmtTime((i + 1) * sampleMs)} ${s.phase.padEnd(14)} sent ${good.sent}  RSS ${(rssKb / 1024).toFixed(1)} MB (heap ${heapMb})  fds ${fds}` +
          `  CPU ${(cpuShare * 100).toFixed(0)} %  others ${(othersShare * 100).toFixed(0)} %  health ${h.status} [${h.codes.join(', ')}]`,
      );
    }
  })();

  // The phases, one after the other, each ending at its deadline.
  const badTraffic = {};
  let fullFor = 0;
  for (let p = 0; p < PHASES.length; p++) {
    const key = PHASES[p].key;
    const until = Date.now() + (runStart + (p + 1) * phaseMs - performance.now());
    const signal = ended.signal;
    if (key === 'garbage-udp') {
      badTraffic[key] = await garbageUdp({
        port: witness.port,
        from: '127.0.0.2',
        rate: GARBAGE_RATE,
        until,
        signal,
      });
    } else if (key === 'slow-tcp') {
      const from = addresses('127.0.1.', 8);
      badTraffic[key] = await slowTcp({ port: witness.port, from, perAddress: 40, until, signal });
    } else if (key === 'half-open-http') {
      const from = addresses('127.0.2.', 8);
      badTraffic[key] = await halfOpenHttp({ port: uiPort, from, perAddress: 48, until, signal });
    } else if (key === 'upstream-flap') {
      const quarter = phaseMs / 4;
      const flaps = [];
      process.kill(upstream.proc.pid, 'SIGSTOP');
      flaps.push('silent');
      try {
        await sleep(quarter);
      } finally {
        process.kill(upstream.proc.pid, 'SIGCONT');
      }
      flaps.push('back');
      await sleep(quarter);
      await stopProcess(upstream.proc);
      flaps.push('stopped');
      await sleep(quarter);
      upstream = await startUp();
      flaps.push('restarted');
      badTraffic[key] = { flaps };
    } else if (key === 'disk-full' && !diskSkipped) {
      const file = path.join(dataDir, 'soak-fill');
      const t0 = performance.now();
      const bytes = await fillDisk(file, tmpfsMb * 2 ** 20);
      log(`disk-full: wrote ${(bytes / 2 ** 20).toFixed(0)} MiB of filler, the tmpfs is full`);
      await sleep(Math.max(0, Math.min(phaseMs / 2, MAX_FULL_MS) - (performance.now() - t0)));
      await freeDisk(file);
      fullFor = performance.now() - t0;
      log(`disk-full: filler removed after ${(fullFor / 1000).toFixed(0)} s`);
      badTraffic[key] = { fillerMiB: Math.round(bytes / 2 ** 20), fullS: Math.round(fullFor / 1000) };
    }
    await sleep(Math.max(0, runStart + (p + 1) * phaseMs - performance.now()));
  }
  ended.abort();
  await Promise.all([good.stop(), sampler, tcpLoop]);
  lag.disable();

  // After the run: what the service recorded and whether it is healthy again.
  const finalHealth = await health(witness.url);
  const summary = await witness.summary();
  const { hwmKb } = memoryOf(pid);
  const snmpAfter = udpSnmp();

  const result = {
    info,
    command,
    commit: measured,
    rate,
    names,
    minutes,
    sampleMs,
    phaseMs,
    pinned: pin,
    diskSkipped,
    tmpfsMb: diskSkipped ? null : tmpfsMb,
    othersAtStart,
    loadAtStart,
    phases: PHASES,
    badTraffic,
    lateAnswers: good.late,
    finalHealth,
    recorded: summary.total_queries,
    counters: summary.counters,
    // The bench's sockets are closed by now: its count is the last sample's.
    udpDrops: {
      service: udpDrops(pid),
      bench: samples.at(-1)?.drops.bench ?? NaN,
      upstream: samples.reduce(
        (n, s, k) =>
          n +
          s.drops.upstream -
          (samples[k - 1]?.drops.upstreamPid === s.drops.upstreamPid ? samples[k - 1].drops.upstream : 0),
        0,
      ),
    },
    hwmKb,
    // System-wide UDP counters (/proc/net/snmp, what `netstat -su` shows) across the run.
    snmp: { before: snmpBefore, after: snmpAfter },
    samples: samples.map((s, k) => ({
      loop: stalls.within(runEpoch + s.i * sampleMs, runEpoch + (s.i + 1) * sampleMs),
      dropped: {
        service: s.drops.service - (samples[k - 1]?.drops.service ?? 0),
        bench: s.drops.bench - (samples[k - 1]?.drops.bench ?? 0),
        // A restarted upstream (the flap) counts from 0 again.
        upstream:
          s.drops.upstream -
          (samples[k - 1]?.drops.upstreamPid === s.drops.upstreamPid ? samples[k - 1].drops.upstream : 0),
      },
      ...s,
      ...goodOf(good.intervals, s.i),
      tcp: tcp.get(s.i) ?? { sent: 0, ok: 0 },
    })),
  };
  // The JSON keeps each sample's percentiles, not its ~5,000 latencies.
  const json = { ...result, samples: result.samples.map(({ latencies: _, ...x }) => x) };
  return { markdown: renderSoak(result), json };
}

/** The good queries booked into interval `i`, with their latency percentiles (ms). */
function goodOf(intervals, i) {
  const b = intervals.get(i) ?? { sent: 0, noerror: 0, servfail: 0, other: 0, lost: 0, latencies: [] };
  const lat = [...b.latencies].sort((x, y) => x - y);
  return {
    sent: b.sent,
    noerror: b.noerror,
    servfail: b.servfail,
    other: b.other,
    lost: b.lost,
    p50: percentileSorted(lat, 50),
    p99: percentileSorted(lat, 99),
    max: lat.length ? lat[lat.length - 1] : NaN,
    latencies: lat,
  };
}

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const msf = (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(2)) : 'n/a');
const mbf = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');
function fmtTime(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Folds samples into one row: counts summed, latencies merged, RSS and fds as at the last sample. */
function fold(rows) {
  const lat = rows.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
  const codes = [...new Set(rows.flatMap((r) => r.health.codes))];
  return {
    sent: sum('sent'),
    noerror: sum('noerror'),
    failed: sum('servfail') + sum('other'),
    lost: sum('lost'),
    p50: percentileSorted(lat, 50),
    p99: percentileSorted(lat, 99),
    max: lat.length ? lat[lat.length - 1] : NaN,
    tcpSent: rows.reduce((n, r) => n + r.tcp.sent, 0),
    tcpOk: rows.reduce((n, r) => n + r.tcp.ok, 0),
    rssFirst: rows[0].rssKb,
    rssLast: rows[rows.length - 1].rssKb,
    rssMax: Math.max(...rows.map((r) => r.rssKb)),
    fdsFirst: rows[0].fds,
    fdsLast: rows[rows.length - 1].fds,
    fdsMax: Math.max(...rows.map((r) => r.fds)),
    heapFirst: rows[0].heapMb,
    heapLast: rows[rows.length - 1].heapMb,
    cpu: median(rows.map((r) => r.cpuShare)),
    others: median(rows.map((r) => r.othersShare)),
    lagMax: Math.max(...rows.map((r) => r.lagMax)),
    healthMsMax: Math.max(...rows.map((r) => r.health.ms)),
    codes,
    droppedService: rows.reduce((n, r) => n + r.dropped.service, 0),
    droppedBench: rows.reduce((n, r) => n + r.dropped.bench, 0),
    droppedUpstream: rows.reduce((n, r) => n + r.dropped.upstream, 0),
    stalls: rows.reduce((n, r) => n + r.loop.stalls, 0),
    stallMaxMs: Math.max(...rows.map((r) => r.loop.maxMs)),
    stallGc: rows.reduce((n, r) => n + r.loop.gc, 0),
    stallBusy: rows.reduce((n, r) => n + r.loop.busy, 0),
    stallWaiting: rows.reduce((n, r) => n + r.loop.waiting, 0),
    gcMs: rows.reduce((n, r) => n + r.loop.gcMs, 0),
    gcMaxMs: Math.max(...rows.map((r) => r.loop.gcMaxMs)),
  };
}

/** The verdicts: good queries lost or failed outside the flap, RSS and fds flat from baseline to recovery. */
export function verdicts(r) {
  const s = r.samples;
  const perPhase = r.phaseMs / r.sampleMs;
  // Short runs skip half the first phase instead of 30 s.
  const warm = Math.min(Math.ceil(WARM_UP_MS / r.sampleMs), Math.floor(perPhase / 2));
  const base = s.filter((x) => x.phase === 'calm' && x.i >= warm);
  const end = s.filter((x) => x.phase === 'calm-after');
  const outside = s.filter((x) => x.phase !== 'upstream-flap');
  const lost = outside.reduce((n, x) => n + x.lost, 0);
  const failed = outside.reduce((n, x) => n + x.servfail + x.other, 0);
  const tcpFailed = outside.reduce((n, x) => n + x.tcp.sent - x.tcp.ok, 0);
  const where = [
    ...new Set(
      outside.filter((x) => x.lost + x.servfail + x.other + x.tcp.sent - x.tcp.ok > 0).map((x) => x.phase),
    ),
  ];
  const rssBase = median(base.map((x) => x.rssKb));
  const rssEnd = median(end.map((x) => x.rssKb));
  const heapBase = median(base.map((x) => x.heapMb));
  const heapEnd = median(end.map((x) => x.heapMb));
  const fdsBase = median(base.map((x) => x.fds));
  const fdsEnd = median(end.map((x) => x.fds));
  const q = Math.max(1, Math.floor(s.length / 4));
  const firstQ = s.slice(warm, warm + q);
  const lastQ = s.slice(-q);
  // Queries recorded between the middles of the two calm phases, whose medians are compared.
  const from = base[base.length >> 1]?.i ?? 0;
  const to = end[end.length >> 1]?.i ?? 0;
  const recordedBetween = s
    .filter((x) => x.i > from && x.i <= to)
    .reduce((n, x) => n + x.sent - x.lost + x.tcp.sent, 0);
  const columnsKb = (recordedBetween * COLUMN_BYTES_PER_QUERY) / 1024;
  const beyondKb = rssEnd - rssBase - columnsKb;
  return {
    goodLost: lost,
    goodFailed: failed,
    lossPhases: where,
    tcpFailed,
    noLoss: lost === 0 && failed === 0 && tcpFailed === 0,
    warmSamples: warm,
    rssBaseKb: rssBase,
    rssEndKb: rssEnd,
    recordedBetween,
    heapBase,
    heapEnd,
    columnsKb,
    rssBeyondKb: beyondKb,
    rssFlat: beyondKb <= Math.max(RSS_FLAT_SHARE * rssBase, RSS_FLAT_KB),
    fdsBase,
    fdsEnd,
    fdsFlat: fdsEnd - fdsBase <= FDS_FLAT,
    rssFirstQuarterKb: median(firstQ.map((x) => x.rssKb)),
    rssLastQuarterKb: median(lastQ.map((x) => x.rssKb)),
    fdsFirstQuarter: median(firstQ.map((x) => x.fds)),
    fdsLastQuarter: median(lastQ.map((x) => x.fds)),
  };
}

export function renderSoak(r) {
  const { info } = r;
  const s = r.samples;
  const v = verdicts(r);
  const lines = [
    `## Soak run, ${info.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${r.command}\` on commit ${r.commit}`,
    `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; Node ${info.node}, dnsmasq ${info.dnsmasq}`,
    `- Load: ${int(r.rate)} good A queries/s over UDP from 127.0.0.1 (${r.names} names, lost after ${LOST_MS / 1000} s), one TCP query a second; ` +
      `${PHASES.length} phases of ${r.phaseMs / 1000} s; a sample every ${r.sampleMs / 1000} s; DNS Witness ${r.pinned ? 'pinned to CPU 0' : 'not pinned'}, data folder on ` +
      (r.diskSkipped
        ? `${info.tmpFs} (disk-full phase skipped: ${r.diskSkipped})`
        : `a ${r.tmpfsMb} MiB tmpfs`),
    `- Other processes at the start: load average ${r.loadAtStart.map((x) => x.toFixed(1)).join(' / ')}; busiest ${r.othersAtStart}. ` +
      `CPU they used during the run: median ${pct(median(s.map((x) => x.othersShare)))}, highest sample ${pct(Math.max(...s.map((x) => x.othersShare)))}`,
    '',
    '| phase | bad traffic |',
    '|---|---|',
    ...PHASES.map((p) => `| ${p.key} | ${p.what}${describeBad(r.badTraffic[p.key], p.key, r)} |`),
    '',
  ];
  const perMinute = s.length > 70;
  const group = perMinute ? Math.round(60_000 / r.sampleMs) : 1;
  lines.push(
    perMinute
      ? "Per minute (RSS and fds at the minute's last sample):"
      : `Every ${r.sampleMs / 1000} s sample:`,
    '',
    '| time | phase | sent | NOERROR | SERVFAIL/other | lost | p50 / p99 / max ms | TCP ok/sent | RSS MB | fds | CPU | others | /api/health problems |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (let k = 0; k < s.length; k += group) {
    const rows = s.slice(k, k + group);
    const f = fold(rows);
    const phases = [...new Set(rows.map((x) => x.phase))].join(', ');
    lines.push(
      `| ${fmtTime((rows[rows.length - 1].i + 1) * r.sampleMs)} | ${phases} | ${int(f.sent)} | ${int(f.noerror)} | ${int(f.failed)} | ${int(f.lost)} | ` +
        `${msf(f.p50)} / ${msf(f.p99)} / ${msf(f.max)} | ${f.tcpOk}/${f.tcpSent} | ${mbf(f.rssLast)} | ${f.fdsLast} | ${pct(f.cpu)} | ${pct(f.others)} | ${f.codes.join(', ') || '–'} |`,
    );
  }
  lines.push(
    '',
    'Per phase:',
    '',
    '| phase | sent | NOERROR | SERVFAIL/other | lost | p50 / p99 / max ms | TCP ok/sent | RSS MB first → last (max) | fds first → last (max) | JS heap after full GC MB first → last | service CPU | UDP drops service / bench / upstream | service loop stalls ≥ 100 ms: GC / own work / waiting (longest ms) | GC pauses ms total (longest) | /api/health problems | slowest /api/health ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  );
  for (const p of PHASES) {
    const rows = s.filter((x) => x.phase === p.key);
    if (!rows.length) continue;
    const f = fold(rows);
    lines.push(
      `| ${p.key} | ${int(f.sent)} | ${int(f.noerror)} | ${int(f.failed)} | ${int(f.lost)} | ${msf(f.p50)} / ${msf(f.p99)} / ${msf(f.max)} | ${f.tcpOk}/${f.tcpSent} | ` +
        `${mbf(f.rssFirst)} → ${mbf(f.rssLast)} (${mbf(f.rssMax)}) | ${f.fdsFirst} → ${f.fdsLast} (${f.fdsMax}) | ${Number.isFinite(f.heapFirst) ? `${f.heapFirst.toFixed(1)} → ${f.heapLast.toFixed(1)}` : 'n/a'} | ${pct(f.cpu)} | ${int(f.droppedService)} / ${int(f.droppedBench)} / ${int(f.droppedUpstream)} | ${f.stallGc} / ${f.stallBusy} / ${f.stallWaiting} (${f.stalls ? int(f.stallMaxMs) : '–'}) | ${int(f.gcMs)} (${msf(f.gcMaxMs)}) | ${f.codes.join(', ') || '–'} | ${msf(f.healthMsMax)} |`,
    );
  }
  const all = fold(s);
  const flap = s.filter((x) => x.phase === 'upstream-flap');
  const flapF = flap.length ? fold(flap) : null;
  lines.push(
    '',
    `Totals: ${int(all.sent)} good queries sent, ${int(all.noerror)} answered NOERROR, ${int(all.failed)} another code, ${int(all.lost)} lost; ` +
      `p50 / p99 / max ${msf(all.p50)} / ${msf(all.p99)} / ${msf(all.max)} ms` +
      (flapF
        ? ` (upstream-flap phase alone: ${int(flapF.failed)} SERVFAIL/other and ${int(flapF.lost)} lost, expected)`
        : '') +
      `; answers after ${LOST_MS / 1000} s: ${int(r.lateAnswers)}. TCP probes ${all.tcpOk}/${all.tcpSent} answered. ` +
      `The service recorded ${int(r.recorded)} queries (good and TCP probes sent: ${int(all.sent + all.tcpSent)}); RSS peak (VmHWM) ${mbf(r.hwmKb)} MB. ` +
      `Datagrams the kernel dropped (receive buffer full): ${int(r.udpDrops.service)} on the service's UDP sockets, ${int(r.udpDrops.bench)} on the bench's, ${int(r.udpDrops.upstream)} on the upstream's; ` +
      `system-wide \`/proc/net/snmp\` Udp RcvbufErrors ${snmpDelta(r.snmp, 'RcvbufErrors')}, InErrors ${snmpDelta(r.snmp, 'InErrors')} (every process's sockets). ` +
      `The service's event loop stalled for 100 ms or more ${int(all.stalls)} times (longest ${all.stalls ? int(all.stallMaxMs) : '–'} ms): ` +
      `${all.stallGc} during a garbage collection, ${all.stallBusy} busy with its own work, ${all.stallWaiting} waiting for a CPU or a blocking call; GC paused it for ${int(all.gcMs)} ms in all (longest ${msf(all.gcMaxMs)} ms). ` +
      `Service counters: ${Object.entries(r.counters ?? {})
        .map(([k, n]) => `${k} ${int(n)}`)
        .join(', ')}. ` +
      `/api/health after the run: ${r.finalHealth.status} [${r.finalHealth.codes.join(', ') || 'no problems'}].`,
    '',
    `- Good queries outside the upstream-flap phase: ${v.noLoss ? '**PASS**, none lost or failed (UDP and TCP)' : `**FAIL**, ${int(v.goodLost)} lost and ${int(v.goodFailed)} failed over UDP, ${int(v.tcpFailed)} TCP probes failed (in ${v.lossPhases.join(', ')})`}`,
    `- RSS: ${v.rssFlat ? '**flat**' : '**grew**'}: baseline (calm from ${fmtTime(v.warmSamples * r.sampleMs)}) median ${mbf(v.rssBaseKb)} MB → ` +
      `recovery (calm-after) median ${mbf(v.rssEndKb)} MB; of the ${mbf(v.rssEndKb - v.rssBaseKb)} MB, the capture's columns ` +
      `(${COLUMN_BYTES_PER_QUERY} bytes for each of the ${int(v.recordedBetween)} queries recorded in between, kept in memory by design) ` +
      `account for ${mbf(v.columnsKb)} MB, leaving ${mbf(v.rssBeyondKb)} MB (limit +${RSS_FLAT_SHARE * 100} % or +${RSS_FLAT_KB / 1024} MB); ` +
      `first-quarter median ${mbf(v.rssFirstQuarterKb)} MB, last-quarter ${mbf(v.rssLastQuarterKb)} MB. ` +
      `JS heap after the last full GC (--trace-gc; the columns are outside it): ${Number.isFinite(v.heapBase) ? v.heapBase.toFixed(1) : 'n/a'} → ${Number.isFinite(v.heapEnd) ? v.heapEnd.toFixed(1) : 'n/a'} MB (medians)`,
    `- Open file descriptors: ${v.fdsFlat ? '**flat**' : '**grew**'}, baseline median ${v.fdsBase} → recovery median ${v.fdsEnd} (limit +${FDS_FLAT}); ` +
      `first quarter ${v.fdsFirstQuarter}, last quarter ${v.fdsLastQuarter}`,
  );
  return lines.join('\n');
}

/** "before → after (+delta)" of one /proc/net/snmp Udp counter. */
function snmpDelta(snmp, key) {
  const a = snmp?.before?.[key];
  const b = snmp?.after?.[key];
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 'n/a';
  return `${int(a)} → ${int(b)} (+${int(b - a)})`;
}

function describeBad(b, key, r) {
  if (!b) return key === 'disk-full' && r.diskSkipped ? ' — **skipped**' : '';
  if (key === 'garbage-udp') return `: ${int(b.sent)} sent`;
  if (key === 'slow-tcp' || key === 'half-open-http')
    return `: ${int(b.opened)} connections opened, ${int(b.closedByPeer)} closed by the service, ${int(b.refused)} reset or refused, over ${b.seconds ?? '?'} s`;
  if (key === 'disk-full') return `: ${int(b.fillerMiB)} MiB of filler, full for ${b.fullS} s`;
  return '';
}
