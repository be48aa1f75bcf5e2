// `npm run bench -- --history N[,N...]`: what a long history costs. For each N, N queries of history are
// written into a fresh data folder (history-journal.mjs), the built headless service is started on it and
// the bench measures, side by side with dnsmasq --log-queries started the same way: the time from process
// start to the first DNS answer (a real query every 20 ms), to /api/health and to the dashboard and API
// showing the whole history; RSS once loaded; disk bytes per query; and DNS latency at fixed rates while the
// API serves query pages, summaries, a CSV export of the whole history and an evidence bundle (to a client
// process of its own at nice +10, api-work.mjs; the DNS load is sent and timed on a thread of its own).
import dgram from 'node:dgram';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import dnsPacket from 'dns-packet';
import { writeHistory } from './history-journal.mjs';
import { machineInfo, otherCpuMeter, revision } from './machine.mjs';
import { makeTempDir, sleep, startProcess, stopProcess } from './procs.mjs';
import {
  benchRecord,
  countLines,
  freePort,
  memoryOf,
  pinned,
  startDnsmasqPeer,
  startUpstream,
  writeBenchData,
} from './servers.mjs';
import { apiWorkProcess } from './api-work.mjs';
import { goodLoadThread } from './load-thread.mjs';
import { percentileSorted } from './stats.mjs';

const PROBE_MS = 20;
/** Longest wait for a start-up milestone before the bench gives up on it. */
const START_LIMIT_MS = 300_000;
/** Shortest latency phase; a phase lasts until its API work is done, at most PHASE_LIMIT_MS. */
const PHASE_MIN_MS = 20_000;
const PHASE_LIMIT_MS = 600_000;

function dirBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

/**
 * Sends an A query for `name` to 127.0.0.1:`port` every PROBE_MS from `t0` on. `first` resolves with the ms
 * from `t0` to the first NOERROR answer (NaN after START_LIMIT_MS or once `proc` exits); probing goes on
 * until `stop()`, which resolves with the latencies of the probes sent after that first answer (ascending)
 * and how many of them got no answer within a second.
 */
function probeFromStart(port, name, t0, proc) {
  const sock = dgram.createSocket('udp4');
  let id = 0;
  let firstMs = NaN;
  let resolveFirst = () => undefined;
  const first = new Promise((resolve) => (resolveFirst = resolve));
  const sent = new Map();
  const latencies = [];
  let lost = 0;
  sock.on('error', () => undefined);
  sock.on('message', (msg) => {
    if (msg.length < 12 || (msg[3] & 15) !== 0 || msg.readUInt16BE(6) === 0) return;
    const now = performance.now();
    if (Number.isNaN(firstMs)) {
      firstMs = now - t0;
      resolveFirst(firstMs);
      return;
    }
    const at = sent.get(msg.readUInt16BE(0));
    if (at === undefined) return;
    sent.delete(msg.readUInt16BE(0));
    latencies.push(now - at);
  });
  const timer = setInterval(() => {
    const now = performance.now();
    if (proc.exitInfo || (Number.isNaN(firstMs) && now - t0 > START_LIMIT_MS)) {
      clearInterval(timer);
      return resolveFirst(NaN);
    }
    for (const [key, at] of sent)
      if (now - at > 1000) {
        sent.delete(key);
        lost++;
      }
    id = (id + 1) & 0xffff;
    if (!Number.isNaN(firstMs)) sent.set(id, now);
    const q = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    });
    sock.send(q, port, '127.0.0.1');
  }, PROBE_MS);
  const stop = async () => {
    clearInterval(timer);
    await sleep(1000);
    sock.close();
    lost += sent.size;
    return { latencies: latencies.sort((x, y) => x - y), lost };
  };
  return { first, stop };
}

/** GET `url` as JSON, or null when it does not answer 200 within a second. */
async function tryJson(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return null;
    }
    return await res.json();
  } catch {
    return null;
  }
}

/** Calls `check` every `everyMs` until it returns something other than null; resolves { ms, value }. */
async function until(t0, everyMs, proc, check) {
  while (performance.now() - t0 < START_LIMIT_MS && !proc.exitInfo) {
    const value = await check();
    if (value !== null && value !== undefined) return { ms: performance.now() - t0, value };
    await sleep(everyMs);
  }
  return { ms: NaN, value: null };
}

/** Starts the service on `dataDir` and times its start-up milestones; resolves with them and the process. */
async function startWitnessTimed({ root, dataDir, upstreamPort, cpu, probeName, queries }) {
  const [dnsPort, uiPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${uiPort}`;
  const args = [
    path.join(root, 'out', 'main', 'headless.js'),
    '--listen',
    `127.0.0.1:${dnsPort}`,
    '--upstream',
    `127.0.0.1:${upstreamPort}`,
    '--ui',
    `127.0.0.1:${uiPort}`,
    '--data-dir',
    dataDir,
    '--retention-days',
    '0',
  ];
  const t0 = performance.now();
  const proc = startProcess('DNS Witness', ...pinned(process.execPath, args, cpu));
  // What /api/health said when DNS first answered: the service may say its history is still loading.
  let lastHealth = null;
  const health = until(t0, PROBE_MS, proc, async () => {
    const h = await tryJson(`${url}/api/health`);
    if (h !== null) lastHealth = h;
    return h;
  });
  const probes = probeFromStart(dnsPort, probeName, t0, proc);
  const dns = probes.first.then((ms) => ({ ms, health: lastHealth }));
  const healthUp = await health;
  // Ready: the page is served and the summary counts every query of the history. A service that says its
  // history is still loading is asked again later, not made to build summaries of half of it meanwhile.
  const ready = await until(t0, 100, proc, async () => {
    const h = await tryJson(`${url}/api/health`);
    if (h === null || h.history?.state === 'loading') return null;
    const page = await fetch(`${url}/`).catch(() => null);
    if (page?.status !== 200) return null;
    await page.body?.cancel();
    const s = await tryJson(`${url}/api/summary`);
    return s !== null && s.total_queries >= queries ? s : null;
  });
  const firstDns = await dns;
  // The probes between the first answer and the whole history shown: DNS while the history loads.
  const duringLoad = await probes.stop();
  // The rows behind the checkpoints (query log, CSV) follow the counts: read once progress is whole.
  const rows = await until(t0, 100, proc, async () => {
    const h = await tryJson(`${url}/api/health`);
    return h !== null && h.history?.state === 'loaded' && (h.history.progress ?? 1) >= 1 ? h : null;
  });
  if (!Number.isFinite(firstDns.ms)) throw new Error(`DNS Witness never answered:\n${proc.tail()}`);
  return {
    duringLoad,
    proc,
    url,
    port: dnsPort,
    firstDnsMs: firstDns.ms,
    healthAtFirstDns: firstDns.health,
    healthMs: healthUp.ms,
    firstHealth: healthUp.value,
    readyMs: ready.ms,
    rowsMs: rows.ms,
  };
}

/**
 * DNS latency at `rate` a second on `port`, sent and timed on a thread of its own, while `work()` runs (at
 * least PHASE_MIN_MS).
 */
async function latencyPhase({ port, rate, names, work }) {
  const t0 = performance.now();
  const load = await goodLoadThread({
    port,
    rate,
    names,
    maxQueries: Math.ceil((rate * PHASE_LIMIT_MS) / 1000),
  });
  const steps = await work(t0 + PHASE_MIN_MS);
  const seconds = (performance.now() - t0) / 1000;
  const b = await load.stop();
  const lat = b.latencies.sort((x, y) => x - y);
  return {
    rate,
    seconds,
    sent: b.sent,
    noerror: b.noerror,
    servfail: b.servfail,
    lost: b.lost,
    p50: percentileSorted(lat, 50),
    p99: percentileSorted(lat, 99),
    max: lat.length ? lat[lat.length - 1] : NaN,
    steps,
  };
}

/** Starts a dnsmasq --log-queries peer and times its first answer the same way. */
async function startPeerTimed({ dir, upstreamPort, cpu, probeName }) {
  const port = await freePort();
  const t0 = performance.now();
  const peer = await startDnsmasqPeer({ dir, tag: 'dnsmasq-log', port, upstreamPort, cpu, logQueries: true });
  const probes = probeFromStart(port, probeName, t0, peer.proc);
  const ms = await probes.first;
  await probes.stop();
  return { ...peer, firstDnsMs: ms };
}

/**
 * Runs the history cases for each size in `sizes` and returns { markdown, json }. The caller builds out/
 * first and calls cleanup() afterwards.
 */
export async function runHistory({ root, sizes, rates, names, clients, pin, tmpParent, log, command }) {
  const tmp = makeTempDir(tmpParent);
  const info = machineInfo(path.dirname(tmp));
  const data = writeBenchData(tmp, names);
  const probeName = benchRecord(1).name;
  const upstream = await startUpstream({
    dir: tmp,
    conf: data.conf,
    port: await freePort(),
    cpu: null,
    probeName,
  });
  const cpu = pin ? 0 : null;
  const cases = [];
  for (const queries of sizes) {
    const dataDir = path.join(tmp, `history-${queries}`);
    mkdirSync(dataDir);
    log(`history ${queries.toLocaleString('en-US')}: writing the journal…`);
    const g0 = performance.now();
    // As the service leaves them: each stopped capture with its checkpoint.
    const history = await writeHistory({
      root,
      dataDir,
      queries,
      checkpoints: true,
      ...(clients !== undefined ? { clients } : {}),
    });
    const writeMs = performance.now() - g0;
    const diskBytes = dirBytes(dataDir);
    log(
      `history: ${(diskBytes / 1e6).toFixed(0)} MB in ${history.captures.length} captures, written in ${(writeMs / 1000).toFixed(1)} s; starting DNS Witness…`,
    );
    const peer = await startPeerTimed({ dir: tmp, upstreamPort: upstream.port, cpu, probeName });
    // What other processes take from the machine while it starts (a shared machine slows everything).
    const startOthers = otherCpuMeter([upstream.proc.pid, peer.proc.pid]);
    const w = await startWitnessTimed({
      root,
      dataDir,
      upstreamPort: upstream.port,
      cpu,
      probeName,
      queries,
    });
    const othersAtStart = startOthers();
    log(
      `history: first DNS answer ${fmtS(w.firstDnsMs)}, /api/health ${fmtS(w.healthMs)}, whole history shown ${fmtS(w.readyMs)}, every row read ${fmtS(w.rowsMs)} (dnsmasq: first answer ${fmtS(peer.firstDnsMs)})`,
    );
    await sleep(2000);
    const rss = memoryOf(w.proc.pid);
    const peerRss = memoryOf(peer.proc.pid);
    const phases = [];
    const last = history.captures[history.captures.length - 1].id;
    for (const rate of rates) {
      log(`history: ${rate} q/s while the API works…`);
      const phaseOthers = otherCpuMeter([upstream.proc.pid, peer.proc.pid, w.proc.pid]);
      const witness = await latencyPhase({
        port: w.port,
        rate,
        names,
        work: (stopAt) => apiWorkProcess(w.url, last, stopAt - performance.now()),
      });
      log(
        `  DNS Witness p50 ${witness.p50.toFixed(2)} ms  p99 ${witness.p99.toFixed(2)} ms  max ${witness.max.toFixed(1)} ms  lost ${witness.lost} (${witness.seconds.toFixed(0)} s)`,
      );
      witness.others = phaseOthers();
      const peerMark = statSync(peer.log).size;
      const dnsmasq = await latencyPhase({
        port: peer.port,
        rate,
        names,
        work: async (stopAt) => {
          // As long as DNS Witness's phase took.
          await sleep(Math.max(0, stopAt - PHASE_MIN_MS + witness.seconds * 1000 - performance.now()));
          return [];
        },
      });
      const logged = await countLines(peer.log, peerMark, /: query\[/);
      dnsmasq.logBytesPerQuery = (statSync(peer.log).size - peerMark) / Math.max(1, logged);
      log(
        `  dnsmasq     p50 ${dnsmasq.p50.toFixed(2)} ms  p99 ${dnsmasq.p99.toFixed(2)} ms  max ${dnsmasq.max.toFixed(1)} ms  lost ${dnsmasq.lost}`,
      );
      phases.push({ rate, witness, dnsmasq });
    }
    const rssEnd = memoryOf(w.proc.pid);
    await stopProcess(w.proc, 30_000);
    await stopProcess(peer.proc);
    rmSync(dataDir, { recursive: true, force: true });
    cases.push({
      queries,
      captures: history.captures.length,
      clients: history.clients,
      writeMs,
      diskBytes,
      bytesPerQuery: diskBytes / queries,
      checkpointBytes: history.checkpointBytes,
      start: {
        firstDnsMs: w.firstDnsMs,
        healthMs: w.healthMs,
        readyMs: w.readyMs,
        rowsMs: w.rowsMs,
        healthAtFirstDns: w.healthAtFirstDns,
        firstHealth: w.firstHealth,
        dnsmasqFirstDnsMs: peer.firstDnsMs,
        duringLoad: w.duringLoad,
        others: othersAtStart,
      },
      rssKb: rss.rssKb,
      rssEndKb: rssEnd.rssKb,
      hwmKb: rssEnd.hwmKb,
      dnsmasqRssKb: peerRss.rssKb,
      phases,
    });
  }
  await stopProcess(upstream.proc);
  return {
    markdown: renderHistory({ info, command, measured: revision(root), pin, cases }),
    json: { info, command, cases },
  };
}

const fmtS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');
const fmtMs = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : '–');
const pct = (share) => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : '–');
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

/** The probes' figures while the history loads, in a few words. */
function loadProbes(d) {
  if (!d || d.latencies.length + d.lost === 0)
    return 'no probe (the history was shown with the first answer)';
  const l = d.latencies;
  return `${l.length + d.lost} probes, p50 ${fmtMs(percentileSorted(l, 50))}, p99 ${fmtMs(percentileSorted(l, 99))}, max ${fmtMs(l[l.length - 1])}, ${d.lost} unanswered within 1 s`;
}

/** What /api/health said about the history, in a few words. */
function historyState(h) {
  if (h === null || h === undefined) return 'not answering yet';
  const hist = h.history;
  if (!hist) return 'answering (no history state)';
  return hist.state === 'loading'
    ? `history loading (${Math.round((hist.progress ?? 0) * 100)} %)`
    : `history ${hist.state}`;
}

function renderHistory({ info, command, measured, pin, cases }) {
  const out = [
    `## History benchmark, ${info.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${command}\` on commit ${measured}`,
    `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; Node ${info.node}, dnsmasq ${info.dnsmasq}; temp files on ${info.tmpFs}`,
    `- Pinning: ${pin ? 'DNS Witness and dnsmasq on CPU 0 (taskset), load and upstream unpinned' : 'none'}`,
    '',
  ];
  for (const c of cases) {
    const s = c.start;
    out.push(
      `### ${c.queries.toLocaleString('en-US')} queries of history from ${c.clients.toLocaleString('en-US')} clients (${c.captures} daily captures, ${(c.diskBytes / 1e6).toFixed(0)} MB of which ${(c.checkpointBytes / 1e3).toFixed(0)} kB checkpoints, written in ${fmtS(c.writeMs)})`,
      '',
      '| | DNS Witness | dnsmasq `--log-queries` |',
      '|---|---:|---:|',
      `| process start → first DNS answer (probe every ${PROBE_MS} ms) | ${fmtS(s.firstDnsMs)} | ${fmtS(s.dnsmasqFirstDnsMs)} |`,
      `| → \`/api/health\` answers | ${fmtS(s.healthMs)} | |`,
      `| → dashboard served and \`/api/summary\` counts the whole history | ${fmtS(s.readyMs)} | |`,
      `| → every capture's rows read (query log, CSV) | ${fmtS(s.rowsMs)} | |`,
      `| RSS once loaded; after the latency phases; peak | ${mb(c.rssKb)}; ${mb(c.rssEndKb)}; ${mb(c.hwmKb)} | ${mb(c.dnsmasqRssKb)} |`,
      `| disk per query (journal with raw packets and seals; dnsmasq: its log line) | ${c.bytesPerQuery.toFixed(0)} B | ${c.phases[0] ? c.phases[0].dnsmasq.logBytesPerQuery.toFixed(0) : '–'} B |`,
      '',
      `DNS while the history loads (a probe every ${PROBE_MS} ms from the first answer until the whole history is shown): ${loadProbes(s.duringLoad)}.`,
      '',
      `/api/health at the first DNS answer: ${historyState(s.healthAtFirstDns)}. Other processes used ${pct(s.others)} of the CPUs during the start-up.`,
      '',
      "| rate | what else ran | DNS Witness p50 / p99 / max | lost | dnsmasq `--log-queries` p50 / p99 / max | lost | others' CPU |",
      '|---:|---|---:|---:|---:|---:|---:|',
    );
    for (const p of c.phases) {
      const w = p.witness;
      const d = p.dnsmasq;
      const heavy = w.steps
        .filter((st) => st.what.startsWith('CSV') || st.what.startsWith('evidence'))
        .map((st) => `${st.what} ${fmtS(st.ms)}`)
        .join(', ');
      const pages = w.steps.filter((st) => st.what === 'query page');
      const sums = w.steps.filter((st) => st.what === 'summary');
      out.push(
        `| ${p.rate} q/s, ${w.seconds.toFixed(0)} s | ${pages.length} query pages, ${sums.length} summaries (${fmtMs(Math.max(...sums.map((x) => x.ms)))} slowest, ${((sums[0]?.bytes ?? 0) / 1e3).toFixed(0)} kB), ${heavy} | ${fmtMs(w.p50)} / ${fmtMs(w.p99)} / ${fmtMs(w.max)} | ${w.lost} of ${w.sent} | ${fmtMs(d.p50)} / ${fmtMs(d.p99)} / ${fmtMs(d.max)} | ${d.lost} of ${d.sent} | ${pct(w.others)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
