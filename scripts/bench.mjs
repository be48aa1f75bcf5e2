#!/usr/bin/env node
// `npm run bench`: throughput and added latency of the DNS Witness forwarder, measured with dnsperf on
// loopback against a local authoritative-only upstream, side by side with dnsmasq in the same run.
// Progress goes to stderr, the markdown report to stdout. docs/BENCHMARKS.md explains the method.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf } from './bench/dnsperf.mjs';
import {
  busiestWorkerThread,
  cpuBusyShare,
  has,
  machineInfo,
  otherCpuMeter,
  pinThreads,
  processCpuMeter,
  revision,
  threadTicks,
} from './bench/machine.mjs';
import { cleanup, installCleanupHandlers, makeTempDir, sleep, stopProcess } from './bench/procs.mjs';
import { topSelfTime } from './bench/profile.mjs';
import { max, median } from './bench/stats.mjs';
import { renderMarkdown, summarise } from './bench/report.mjs';
import {
  benchRecord,
  countLines,
  dig,
  dnsmasqCounters,
  freePort,
  memoryOf,
  probe,
  startDnsmasqPeer,
  startNodeFloor,
  startUpstream,
  startWitness,
  writeBenchData,
} from './bench/servers.mjs';
import { buildIfNeeded, root } from './lib/build.mjs';
import { usage } from './bench/cli.mjs';
import { benchExports, renderExportMarkdown } from './bench/export.mjs';
import { benchImport } from './bench/import.mjs';
import { runSoak } from './bench/soak.mjs';
import { runHistory } from './bench/history.mjs';
import { benchDnstap, renderDnstapMarkdown } from './bench/dnstap.mjs';
import { benchHousehold, renderHouseholdMarkdown } from './bench/household.mjs';

const HELP = `Usage: npm run bench -- [options]

Measures DNS Witness against dnsmasq (with and without its query log) and the upstream queried directly:
maximum queries per second and latency at a fixed rate, with dnsperf on 127.0.0.1 only.

  --rounds N       Rounds; each runs every forwarder in turn, order rotating (default 3).
  --duration S     Seconds per dnsperf run (default 10).
  --quick          1 round of 3 s: a smoke run, the figures are rough.
  --rate QPS       Query rate of the latency runs (default 1000).
  --names N        Distinct names the upstream serves and dnsperf asks for (default 1000).
  --no-pin         Do not pin with taskset (forwarders on CPU 0, dnsperf on CPU 1).
  --json FILE      Also write every run and the medians as JSON.
  --cpu-prof DIR   Run DNS Witness under node --cpu-prof, keep the profile in DIR and list the functions
                   with the most self time. The profiler slows it down: figures are not comparable.
  --wait-idle MIN  For a shared machine: spend up to MIN minutes in all waiting, before each run, until
                   other processes use under 15 % of the CPUs, and repeat a run they disturbed (up to 3
                   attempts, the quietest kept). Default 0: never wait. Their CPU use is measured and
                   reported either way.
  --export         Run only the evidence-export cases (no DNS runs, no dnsperf needed).
  --no-export      Skip the evidence-export cases.
  --export-rows N  Queries in the export cases' capture (default 1000000): CSV of every row, then the
                   evidence bundle (CSV, pcap, journal, report, manifest) and the verifier on it.
  --import         Run only the import cases (no DNS runs): an AdGuard Home query log, a dnsmasq log and
                   a pcap file of --import-rows queries each, generated, then read by npm run import;
                   queries per second by the wall clock and per CPU second, and peak memory.
  --import-rows N  Queries per import case (default 1000000).
  --soak MINUTES   Run only the soak (no throughput rounds, no dnsperf needed): MINUTES of good queries
                   (500/s unless --rate says otherwise) while bad traffic rotates, one kind per phase:
                   garbage UDP, slow DNS over TCP, half-open HTTP, upstream flaps, a full data folder
                   (a tmpfs: needs root, else skipped). Reports lost queries, latency, RSS, open file
                   descriptors and /api/health every 10 s (5 s under 5 minutes), and whether RSS and file
                   descriptors stayed flat. --json writes every sample.
  --history N[,N]  Run only the history cases (needs dnsmasq, not dnsperf): for each N, N queries of
                   history (up to 20,000,000) are written into a fresh data folder in the service's own
                   journal format, each capture with its checkpoint, then: time from start to the first
                   DNS answer, to /api/health, to the whole history shown and to every row read, against
                   dnsmasq --log-queries; RSS; disk per query; DNS
                   latency at 50 and 300 q/s (--rate to choose one) while the API serves query pages,
                   summaries, a CSV of the whole history and an evidence bundle.
  --history-clients N  Distinct client addresses in the history (default 24, a household); 100000 checks
                   that summaries and DNS latency do not grow with the clients.
  --dnstap         Run only the dnstap cases: CPU per query at --rate (default 10000) q/s with and
                   without --dnstap-out to a draining reader, alternating for --rounds; and dnstap
                   messages recorded per second with --listen none --dnstap-in on one CPU, from a
                   generator writing --dnstap-exchanges (default 100000) exchanges as fast as it can.
  --dnstap-exchanges N  Exchanges (two messages each) per dnstap-in run.
  --household      Run only the household cases: CPU of DNS Witness and of dnsmasq --log-queries while
                   nothing asks anything for --idle seconds (default 120), then at --rate (default 50)
                   q/s for --duration seconds (default 60) each, order alternating for --rounds.
  --idle S         Seconds of the idle case (default 120).
  --tmp DIR        Where the temp folder goes (default: the OS temp folder). Journal and query log are
                   written there, so its disk matters.
  -h, --help       Show this help.

Needs dnsperf and dnsmasq on PATH; dig and taskset are used when present.
`;

const CHECK_RATE = 2000;
/** Above this share of CPU used by others before a round, the figures are flagged as noisy. */
const BUSY_SHARE = 0.15;
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const MAX_CLIENTS = 8;
/** Attempts per run when --wait-idle is given and other processes disturb a run. */
const MAX_ATTEMPTS = 3;

const { fail, wholeNumber } = usage('bench');

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        rounds: { type: 'string' },
        duration: { type: 'string' },
        quick: { type: 'boolean' },
        rate: { type: 'string' },
        names: { type: 'string' },
        'no-pin': { type: 'boolean' },
        json: { type: 'string' },
        'cpu-prof': { type: 'string' },
        tmp: { type: 'string' },
        'wait-idle': { type: 'string' },
        export: { type: 'boolean' },
        'no-export': { type: 'boolean' },
        'export-rows': { type: 'string' },
        soak: { type: 'string' },
        history: { type: 'string' },
        'history-clients': { type: 'string' },
        dnstap: { type: 'boolean' },
        'dnstap-exchanges': { type: 'string' },
        import: { type: 'boolean' },
        'import-rows': { type: 'string' },
        household: { type: 'boolean' },
        idle: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(`${err.message.split('. ')[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  return {
    rounds: wholeNumber('rounds', values.rounds, values.quick ? 1 : 3, 1, 50),
    duration: wholeNumber('duration', values.duration, values.quick ? 3 : 10, 1, 600),
    rate: wholeNumber('rate', values.rate, 1000, 1, 1_000_000),
    names: wholeNumber('names', values.names, 1000, 1, 60_000),
    pin: !values['no-pin'],
    json: values.json,
    cpuProf: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
    tmp: values.tmp ? path.resolve(values.tmp) : undefined,
    waitIdleMinutes: wholeNumber('wait-idle', values['wait-idle'], 0, 0, 240),
    exportOnly: values.export === true,
    exports: values['no-export'] !== true,
    exportRows: wholeNumber('export-rows', values['export-rows'], 1_000_000, 1, 20_000_000),
    soakMinutes: wholeNumber('soak', values.soak, 0, 1, 240),
    importOnly: values.import === true,
    importRows: wholeNumber('import-rows', values['import-rows'], 1_000_000, 1, 50_000_000),
    soakRate: wholeNumber('rate', values.rate, 500, 1, 20_000),
    history:
      values.history === undefined
        ? []
        : values.history.split(',').map((n) => wholeNumber('history', n, 0, 1000, 20_000_000)),
    historyRates: values.rate === undefined ? [50, 300] : [wholeNumber('rate', values.rate, 0, 1, 5000)],
    historyClients:
      values['history-clients'] === undefined
        ? undefined
        : wholeNumber('history-clients', values['history-clients'], 0, 1, 1_000_000),
    dnstap: values.dnstap === true,
    dnstapRate: wholeNumber('rate', values.rate, 10_000, 1, 1_000_000),
    household: values.household === true,
    householdRate: wholeNumber('rate', values.rate, 50, 1, 10_000),
    householdSeconds: wholeNumber('duration', values.duration, values.quick ? 10 : 60, 1, 3600),
    idleSeconds: wholeNumber('idle', values.idle, values.quick ? 20 : 120, 5, 3600),
    dnstapExchanges: wholeNumber('dnstap-exchanges', values['dnstap-exchanges'], 100_000, 1000, 10_000_000),
  };
}

function dirBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const log = (line) => process.stderr.write(`${line}\n`);

/** A section of its own for one kind of case (`--export`, `--import`): title, command, machine, figures. */
async function mainSection(opts, title, run) {
  log('Building DNS Witness if needed (electron-vite build)…');
  buildIfNeeded({ quiet: true });
  const tmp = makeTempDir(opts.tmp);
  const info = machineInfo(path.dirname(tmp));
  const busy = await cpuBusyShare(1500, []);
  const markdown = await run(tmp);
  await cleanup();
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  process.stdout.write(
    [
      `## ${title}, ${info.date.slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `- Command: \`${command}\` on commit ${revision(root)}`,
      `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; Node ${info.node}; temp files on ${info.tmpFs}; load average ${os.loadavg()[0].toFixed(1)}`,
      `- CPU used by other processes just before: ${(busy * 100).toFixed(0)} %${busy >= BUSY_SHARE ? ' — **busy machine, figures are noisy**' : ''}`,
      '',
      markdown,
      '',
    ].join('\n'),
  );
}

/**
 * A case that compares DNS Witness with a pinned load (`--dnstap`, `--household`): checks the tools, builds,
 * runs `run({ tmp, serverCpu, loadCpu })` between two readings of the CPU others use, and prints `title`'s
 * short header, then `render(result)`; `--json` writes the result.
 */
async function mainPinnedCase(opts, { title, pinnedWhat, run, render }) {
  for (const tool of ['dnsperf', 'dnsmasq'])
    if (!has(tool)) fail(`${tool} is not installed (Debian: apt-get install dnsperf dnsmasq-base)`);
  log('Building DNS Witness if needed (electron-vite build)…');
  buildIfNeeded({ quiet: true });
  const pin = opts.pin && has('taskset') && os.availableParallelism() >= 2;
  const tmp = makeTempDir(opts.tmp);
  const info = machineInfo(path.dirname(tmp));
  const busy = await cpuBusyShare(1500, []);
  const r = await run({ tmp, serverCpu: pin ? SERVER_CPU : null, loadCpu: pin ? LOAD_CPU : null });
  const after = await cpuBusyShare(1500, []);
  await cleanup();
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  process.stdout.write(
    [
      `## ${title}, ${info.date.slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `- Command: \`${command}\` on commit ${revision(root)}`,
      `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; Node ${info.node}; dnsperf ${info.dnsperf}; temp files on ${info.tmpFs}`,
      `- ${pinnedWhat} ${pin ? `pinned to CPU ${SERVER_CPU}, dnsperf to CPU ${LOAD_CPU}` : 'not pinned'}; CPU used by other processes before and after: ${(busy * 100).toFixed(0)} % and ${(after * 100).toFixed(0)} %${Math.max(busy, after) >= BUSY_SHARE ? ' — **busy machine, figures are noisy**' : ''}`,
      '',
      render(r),
    ].join('\n'),
  );
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(r, null, 2));
    log(`wrote ${opts.json}`);
  }
}

/** `--dnstap`: only the dnstap cases. */
function mainDnstap(opts) {
  return mainPinnedCase(opts, {
    title: 'dnstap benchmark',
    pinnedWhat: 'DNS Witness',
    render: renderDnstapMarkdown,
    run: ({ tmp, serverCpu, loadCpu }) =>
      benchDnstap({
        root,
        tmp,
        rate: opts.dnstapRate,
        seconds: opts.duration,
        rounds: opts.rounds,
        exchanges: opts.dnstapExchanges,
        serverCpu,
        loadCpu,
        log,
      }),
  });
}

/** `--household`: only the idle and household-rate cases. */
function mainHousehold(opts) {
  return mainPinnedCase(opts, {
    title: 'Household benchmark',
    pinnedWhat: 'DNS Witness and the peer',
    render: renderHouseholdMarkdown,
    run: ({ tmp, serverCpu, loadCpu }) =>
      benchHousehold({
        root,
        tmp,
        rate: opts.householdRate,
        seconds: opts.householdSeconds,
        idleSeconds: opts.idleSeconds,
        rounds: opts.rounds,
        serverCpu,
        loadCpu,
        log,
      }),
  });
}

/** `--export`: only the evidence-export cases. */
function mainExports(opts) {
  return mainSection(opts, 'Evidence export benchmark', async (tmp) =>
    renderExportMarkdown(await benchExports({ root, tmp, rows: opts.exportRows, log })),
  );
}

/** `--import`: only the import cases. */
function mainImport(opts) {
  return mainSection(opts, 'Import benchmark', async (tmp) => {
    const r = await benchImport({ root, dir: tmp, rows: opts.importRows, log });
    return r.markdown;
  });
}

/** `--soak MINUTES`: only the soak run. */
async function mainSoak(opts) {
  if (!has('dnsmasq')) fail('dnsmasq is not installed (Debian: apt-get install dnsmasq-base)');
  log('Building DNS Witness if needed (electron-vite build)…');
  buildIfNeeded({ quiet: true });
  const pin = opts.pin && has('taskset') && os.availableParallelism() >= 2;
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  const { markdown, json } = await runSoak({
    root,
    minutes: opts.soakMinutes,
    rate: opts.soakRate,
    names: opts.names,
    pin,
    tmpParent: opts.tmp,
    log,
    command,
  });
  await cleanup();
  process.stdout.write(`${markdown}\n`);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(json, null, 2));
    log(`wrote ${opts.json}`);
  }
  if (exportError) throw exportError;
}

/** `--history N[,N]`: only the history cases. */
async function mainHistory(opts) {
  if (!has('dnsmasq')) fail('dnsmasq is not installed (Debian: apt-get install dnsmasq-base)');
  log('Building DNS Witness if needed (electron-vite build)…');
  buildIfNeeded({ quiet: true });
  const pin = opts.pin && has('taskset') && os.availableParallelism() >= 2;
  const { markdown, json } = await runHistory({
    root,
    sizes: opts.history,
    rates: opts.historyRates,
    names: opts.names,
    clients: opts.historyClients,
    pin,
    tmpParent: opts.tmp,
    log,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
  });
  await cleanup();
  process.stdout.write(`${markdown}\n`);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(json, null, 2));
    log(`wrote ${opts.json}`);
  }
}

async function main(opts) {
  if (opts.exportOnly) return mainExports(opts);
  if (opts.history.length > 0) return mainHistory(opts);
  if (opts.importOnly) return mainImport(opts);
  if (opts.soakMinutes > 0) return mainSoak(opts);
  if (opts.dnstap) return mainDnstap(opts);
  if (opts.household) return mainHousehold(opts);
  for (const tool of ['dnsperf', 'dnsmasq'])
    if (!has(tool)) fail(`${tool} is not installed (Debian: apt-get install dnsperf dnsmasq-base)`);
  const useDig = has('dig');
  const pin = opts.pin && has('taskset') && os.availableParallelism() >= 2;
  const serverCpu = pin ? SERVER_CPU : null;
  const loadCpu = pin ? LOAD_CPU : null;
  if (opts.pin && !pin) log('note: not pinning (needs taskset and at least 2 CPUs)');

  log('Building DNS Witness if needed (electron-vite build)…');
  buildIfNeeded({ quiet: true });
  const measured = revision(root);
  // One budget for the whole run: wait for quiet before starting, before each round and each run.
  const quietDeadline = Date.now() + opts.waitIdleMinutes * 60_000;
  const waitQuiet = async (ownPids) => {
    let busy = await cpuBusyShare(1500, ownPids);
    while (busy >= BUSY_SHARE && Date.now() < quietDeadline) {
      log(`waiting for a quiet machine: other processes use ${(busy * 100).toFixed(0)} % of the CPUs`);
      await sleep(5000);
      busy = await cpuBusyShare(1500, ownPids);
    }
    return busy;
  };
  await waitQuiet([]);
  const tmp = makeTempDir(opts.tmp);
  const info = machineInfo(path.dirname(tmp));
  const data = writeBenchData(tmp, opts.names);
  const probeName = benchRecord(1).name;

  log(`temp folder ${tmp}; starting the upstream, two dnsmasq peers and DNS Witness on 127.0.0.1…`);
  // The upstream floats between CPUs: on 2 cores pinning it anywhere takes a core from someone.
  const upstream = await startUpstream({
    dir: tmp,
    conf: data.conf,
    port: await freePort(),
    cpu: null,
    probeName,
  });
  const [peerLog, peerPlain] = await Promise.all([
    freePort().then((port) =>
      startDnsmasqPeer({
        dir: tmp,
        tag: 'dnsmasq-log',
        port,
        upstreamPort: upstream.port,
        cpu: serverCpu,
        logQueries: true,
        probeName,
      }),
    ),
    freePort().then((port) =>
      startDnsmasqPeer({
        dir: tmp,
        tag: 'dnsmasq',
        port,
        upstreamPort: upstream.port,
        cpu: serverCpu,
        logQueries: false,
        probeName,
      }),
    ),
  ]);
  const witnessDir = path.join(tmp, 'witness-data');
  mkdirSync(witnessDir);
  if (opts.cpuProf) mkdirSync(opts.cpuProf, { recursive: true });
  const witness = await startWitness({
    root,
    dataDir: witnessDir,
    upstreamPort: upstream.port,
    cpu: serverCpu,
    profileDir: opts.cpuProf,
    probeName,
  });
  // With pinning, a second DNS Witness gets what its design asks for: its DNS thread alone on the forwarders'
  // CPU (as much as dnsmasq has), its main thread (indexing, API) and helpers beside dnsperf on the other.
  const splitDir = path.join(tmp, 'witness-split-data');
  if (pin) mkdirSync(splitDir);
  const split = pin
    ? await startWitness({ root, dataDir: splitDir, upstreamPort: upstream.port, cpu: null, probeName })
    : null;
  // The floor for any forwarder on Node.js: a bare relay (scripts/bench/node-floor.mjs), pinned as the others.
  const floor = await startNodeFloor({ root, upstreamPort: upstream.port, cpu: serverCpu, probeName });

  // What each target records, so every run can check that nothing was dropped on the way to disk.
  const totalOf = (w) => async () => (await w.summary()).total_queries;
  const settledTotal = (w) => async (expected) => {
    const total = totalOf(w);
    let last = await total();
    for (let i = 0; i < 25 && last < expected; i++) {
      await sleep(200);
      const now = await total();
      if (now === last && i >= 4) break;
      last = now;
    }
    return last;
  };
  /**
   * The total once it has stopped moving: records reach the store up to 250 ms after their answers (the DNS
   * thread's batches), so a mark read at once could miss the last queries of the run before (the check's digs).
   */
  const quietTotal = (w) => () => settledTotal(w)(Number.POSITIVE_INFINITY);
  const witnessTotal = totalOf(witness);
  const settledWitnessTotal = settledTotal(witness);
  const queryLine = /: query\[/;
  const targets = [
    {
      key: 'direct',
      label: 'upstream queried directly (ceiling)',
      port: upstream.port,
      pid: upstream.proc.pid,
    },
    {
      key: 'witness',
      label: 'DNS Witness (every query journaled)',
      port: witness.port,
      pid: witness.proc.pid,
      mark: quietTotal(witness),
      recorded: async (mark, sent) => (await settledWitnessTotal(mark + sent)) - mark,
    },
    ...(split
      ? [
          {
            key: 'witness-split',
            label: `DNS Witness, its DNS thread alone on CPU ${SERVER_CPU}, the rest on CPU ${LOAD_CPU} beside dnsperf`,
            port: split.port,
            pid: split.proc.pid,
            mark: quietTotal(split),
            recorded: async (mark, sent) => (await settledTotal(split)(mark + sent)) - mark,
          },
        ]
      : []),
    {
      key: 'dnsmasq-log',
      label: 'dnsmasq, cache off, `--log-queries` to a file',
      port: peerLog.port,
      pid: peerLog.proc.pid,
      mark: async () => statSync(peerLog.log).size,
      recorded: async (mark, sent) => {
        // dnsmasq may still be writing the last lines: wait until they are all there or stop growing.
        let last = -1;
        for (let i = 0; i < 15; i++) {
          await sleep(200);
          const n = await countLines(peerLog.log, mark, queryLine);
          if (n >= sent || n === last) return n;
          last = n;
        }
        return last;
      },
    },
    {
      key: 'dnsmasq',
      label: 'dnsmasq, cache off, no logging',
      port: peerPlain.port,
      pid: peerPlain.proc.pid,
    },
    {
      key: 'node-floor',
      label: 'bare Node.js UDP relay, records nothing (the floor for Node)',
      port: floor.port,
      pid: floor.proc.pid,
      // It relays UDP only.
      udpOnly: true,
    },
  ];

  const serverPids = [upstream, peerLog, peerPlain, witness, ...(split ? [split] : [])].map(
    (s) => s.proc.pid,
  );
  /** One dnsperf run with the bookkeeping around it: upstream queries, records, RSS. */
  const runOnce = async (t, perf, afterLoad) => {
    const up0 = await dnsmasqCounters(upstream);
    const mark = t.mark ? await t.mark() : 0;
    const meter = otherCpuMeter(serverPids);
    const cpu = processCpuMeter(t.pid);
    const res = await dnsperf({ port: t.port, queryFile: data.queries, pin: loadCpu, ...perf });
    const cpuSeconds = cpu();
    const others = meter();
    const extra = afterLoad?.() ?? {};
    const recorded = t.recorded ? await t.recorded(mark, res.sent) : NaN;
    const up1 = await dnsmasqCounters(upstream);
    return {
      ...res,
      ...extra,
      recorded,
      others,
      cpuUsPerQuery: res.completed > 0 ? (cpuSeconds * 1e6) / res.completed : NaN,
      upstream: up1.local - up0.local,
      upstreamForwarded: up1.forwarded - up0.forwarded,
    };
  };

  log(`checking answers and query counts (${opts.names * 2} queries at ${CHECK_RATE} qps each)…`);
  for (const t of targets) {
    for (const k of [1, Math.ceil(opts.names / 2), opts.names]) {
      const { name, address } = benchRecord(k);
      const got = useDig
        ? await dig(t.port, name, false)
        : ((await probe(t.port, name, 2000)) ?? []).join('\n');
      if (got !== address) throw new Error(`${t.label} answered ${name} with "${got}", expected ${address}`);
    }
    if (useDig && !t.udpOnly) {
      const { name, address } = benchRecord(opts.names);
      const got = await dig(t.port, name, true);
      if (got !== address)
        throw new Error(`${t.label} answered ${name} over TCP with "${got}", expected ${address}`);
    }
    // Each name twice: a hidden cache would answer the second pass without asking the upstream.
    const ticksBefore = t.key === 'witness-split' ? threadTicks(t.pid) : null;
    const r = await runOnce(t, { runs: 2, qps: CHECK_RATE, clients: MAX_CLIENTS });
    if (ticksBefore) {
      // The thread that answered those queries is the DNS thread.
      const dnsTid = busiestWorkerThread(t.pid, ticksBefore, threadTicks(t.pid));
      if (dnsTid === null) throw new Error(`${t.label}: no thread besides the main one answered the check`);
      pinThreads(t.pid, dnsTid, SERVER_CPU, LOAD_CPU);
      log(
        `  DNS Witness (split): DNS thread ${dnsTid} pinned to CPU ${SERVER_CPU}, its other threads to CPU ${LOAD_CPU}`,
      );
    }
    const want = opts.names * 2;
    const problems = [];
    if (r.completed !== want || r.lost !== 0)
      problems.push(`${r.completed} of ${want} answered, ${r.lost} lost`);
    if ((r.rcodes.NOERROR ?? 0) !== r.completed) problems.push(`response codes ${JSON.stringify(r.rcodes)}`);
    if (r.upstream !== r.completed)
      problems.push(`the upstream saw ${r.upstream} queries for ${r.completed}`);
    if (r.upstreamForwarded !== 0) problems.push(`the upstream forwarded ${r.upstreamForwarded} queries`);
    if (t.recorded && r.recorded !== r.completed)
      problems.push(`${r.recorded} of ${r.completed} queries recorded`);
    if (problems.length) throw new Error(`check failed for ${t.label}: ${problems.join('; ')}`);
    log(
      `  ok  ${t.label}: correct answers (UDP${useDig ? ' + TCP, dig' : ''}), ${r.upstream} upstream queries for ${r.completed}`,
    );
  }
  if (!useDig) log('  note: dig not found, answers checked with a built-in UDP query and TCP not checked');

  const runs = [];
  const background = [];
  for (let round = 1; round <= opts.rounds; round++) {
    // Our servers are idle here, so this is what other processes take from the measurement.
    const busy = await waitQuiet(serverPids);
    background.push(busy);
    log(
      `round ${round}: other processes use ${(busy * 100).toFixed(0)} % of the CPUs${busy >= BUSY_SHARE ? ' (busy machine: figures will be noisy)' : ''}`,
    );
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
    for (const kind of ['max', 'latency']) {
      for (const t of order) {
        const perf =
          kind === 'max'
            ? { seconds: opts.duration, clients: MAX_CLIENTS }
            : { seconds: opts.duration, qps: opts.rate, verbose: true };
        const afterLoad =
          t.key === 'witness' && kind === 'max' ? () => memoryOf(witness.proc.pid) : undefined;
        // On a shared machine, a run during which other processes took CPU is repeated (while the
        // --wait-idle budget lasts) and the quietest attempt kept; the choice never looks at the result.
        const tries = opts.waitIdleMinutes > 0 ? MAX_ATTEMPTS : 1;
        let r = null;
        for (let attempt = 1; attempt <= tries; attempt++) {
          if (opts.waitIdleMinutes > 0) await waitQuiet(serverPids);
          const a = { ...(await runOnce(t, perf, afterLoad)), attempts: attempt };
          if (!r || a.others < r.others) r = a;
          if (a.others < BUSY_SHARE || Date.now() >= quietDeadline) break;
          if (attempt < tries)
            log(`  ${t.key} ${kind}: other processes took ${(a.others * 100).toFixed(0)} % CPU, repeating`);
        }
        runs.push({ round, target: t.key, kind, ...r });
        const lat = kind === 'latency' ? `  p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms` : '';
        const rec = Number.isFinite(r.recorded) ? `  recorded ${r.recorded}` : '';
        log(
          `round ${round}/${opts.rounds}  ${kind.padEnd(7)}  ${t.key.padEnd(11)}  ${Math.round(r.qps).toString().padStart(7)} qps` +
            `  lost ${r.lost}${lat}${rec}  upstream ${r.upstream}  others ${(r.others * 100).toFixed(0)} % CPU`,
        );
        await sleep(500);
      }
    }
  }

  // Journal size per query: stop DNS Witness cleanly first so everything buffered reaches the disk.
  const finalTotal = await witnessTotal();
  const stored = await witness.storedQueries().catch((err) => {
    log(`note: could not read the stored query count: ${err.message}`);
    return NaN;
  });
  const { hwmKb } = memoryOf(witness.proc.pid);
  await stopProcess(witness.proc, 15_000);
  if (split) await stopProcess(split.proc, 15_000);
  await stopProcess(floor.proc, 5_000);
  const journalBytes = dirBytes(witnessDir);
  const dnsmasqLogged = await countLines(peerLog.log, 0, queryLine);
  const extra = {
    witnessHwmKb: hwmKb,
    journalBytes,
    journalQueries: finalTotal,
    storedQueries: stored,
    bytesPerQuery: journalBytes / finalTotal,
    dnsmasqLogBytesPerQuery: statSync(peerLog.log).size / dnsmasqLogged,
  };

  let profileTop = null;
  if (opts.cpuProf) {
    const profiles = readdirSync(opts.cpuProf)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(opts.cpuProf, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (profiles[0]) profileTop = { file: profiles[0], top: topSelfTime(profiles[0]) };
    else log(`note: node wrote no .cpuprofile into ${opts.cpuProf}`);
  }

  // A failing export case must not throw away the DNS rounds already measured: they are printed first.
  let exportFigures = null;
  let exportError = null;
  if (opts.exports) {
    try {
      exportFigures = await benchExports({ root, tmp, rows: opts.exportRows, log });
    } catch (err) {
      exportError = err;
      log(`export cases failed: ${err.message.split('\n')[0]}`);
    }
  }

  await cleanup();

  const summary = summarise(targets, runs, opts.rounds);
  const report = renderMarkdown({
    summary,
    runs,
    rate: opts.rate,
    duration: opts.duration,
    rounds: opts.rounds,
    extra,
  });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const header = [
    `## DNS forwarder benchmark, ${info.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Command: \`${command}\` on commit ${measured}`,
    `- Machine: ${info.cpus} CPUs (${info.cpuModel}), ${info.ramGiB.toFixed(1)} GiB RAM, ${info.os}; ` +
      `Node ${info.node}, dnsmasq ${info.dnsmasq}, dnsperf ${info.dnsperf}; temp files on ${info.tmpFs}`,
    `- Pinning: ${pin ? `forwarders on CPU ${SERVER_CPU}, dnsperf on CPU ${LOAD_CPU} (taskset), upstream unpinned; the second DNS Witness has only its DNS thread on CPU ${SERVER_CPU}` : 'none'}; ` +
      `${opts.names} distinct names, upstream = dnsmasq with host-record data and --cache-size=0`,
    `- Peers: \`dnsmasq ${peerLog.args.join(' ')}\` (the plain peer without --log-queries)`,
  ];
  const busyList = background.map((b) => `${(b * 100).toFixed(0)} %`).join(', ');
  const during = runs.map((r) => r.others);
  const noisy = [...background, ...during].some((b) => b >= BUSY_SHARE);
  header.push(
    `- CPU used by other processes: ${busyList} just before each round; during the runs median ` +
      `${(median(during) * 100).toFixed(0)} %, highest ${(max(during) * 100).toFixed(0)} %` +
      (noisy ? ' — **busy machine, figures are noisy**' : ''),
  );
  const repeated = runs.filter((r) => r.attempts > 1).length;
  if (opts.waitIdleMinutes > 0)
    header.push(
      `- \`--wait-idle ${opts.waitIdleMinutes}\`: ${repeated} of ${runs.length} runs repeated because others took CPU` +
        (Date.now() >= quietDeadline ? '; the waiting budget ran out before the end' : ''),
    );
  if (opts.cpuProf)
    header.push('- **Profiled run** (node --cpu-prof): DNS Witness figures are slowed by the profiler.');
  process.stdout.write(`${header.join('\n')}\n\n${report.text}\n`);
  if (profileTop) {
    const rows = profileTop.top.map(
      (f) => `| ${f.name} | ${f.where} | ${f.ms.toFixed(0)} | ${(f.share * 100).toFixed(1)} % |`,
    );
    process.stdout.write(
      `\nTop self time in DNS Witness (${profileTop.file}):\n\n| function | where | ms | share of busy time |\n|---|---|---:|---:|\n${rows.join('\n')}\n`,
    );
  }
  if (exportFigures)
    process.stdout.write(`\n### Evidence export\n\n${renderExportMarkdown(exportFigures)}\n`);
  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify(
        {
          info,
          command,
          options: opts,
          pinned: pin,
          summary,
          runs,
          extra,
          background,
          profile: profileTop,
          exports: exportFigures,
        },
        null,
        2,
      ),
    );
    log(`wrote ${opts.json}`);
  }
  if (exportError) throw exportError;
}

const opts = parseOptions(process.argv.slice(2));
installCleanupHandlers();
main(opts).then(
  () => process.exit(0),
  async (err) => {
    console.error(`bench: ${err.stack ?? err.message}`);
    await cleanup();
    process.exit(1);
  },
);
