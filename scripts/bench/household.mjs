// `npm run bench -- --household`: what DNS Witness costs a household's machine, against dnsmasq with
// --log-queries on the same load. Two figures, both CPU time read from /proc (every thread of the process):
//  - idle: nothing asks anything for --idle seconds; the share of one core each process used;
//  - household rate: dnsperf at --rate queries/s (default 50) for --duration seconds against each in turn,
//    order alternating per round; CPU per second of load, and DNS Witness's as a multiple of the peer's.
// CPU time barely moves when other processes compete for the CPUs, so a busy machine blurs these figures
// less than it blurs throughput; the clock tick (10 ms) limits the idle figure's resolution.
import path from 'node:path';
import { dnsperf } from './dnsperf.mjs';
import { processCpuMeter } from './machine.mjs';
import { sleep, stopProcess } from './procs.mjs';
import {
  benchRecord,
  freePort,
  startDnsmasqPeer,
  startNodeFloor,
  startUpstream,
  startWitness,
  writeBenchData,
} from './servers.mjs';
import { median } from './stats.mjs';

export const HOUSEHOLD_TARGETS = { maxCpuRatioToLoggingPeer: 1.5, maxIdleShareOfCore: 0.001 };

/** Seconds the services get after start before anything is measured (start-up work is not idling). */
const SETTLE_SECONDS = 5;

export async function benchHousehold({
  root,
  tmp,
  rate,
  seconds,
  idleSeconds,
  rounds,
  serverCpu,
  loadCpu,
  log,
}) {
  const data = writeBenchData(tmp, 1000);
  const probeName = benchRecord(1).name;
  const upstream = await startUpstream({
    dir: tmp,
    conf: data.conf,
    port: await freePort(),
    cpu: null,
    probeName,
  });
  const targets = [];
  try {
    const witness = await startWitness({
      root,
      dataDir: path.join(tmp, 'witness-data'),
      upstreamPort: upstream.port,
      cpu: serverCpu,
      probeName,
    });
    targets.push({ key: 'witness', label: 'DNS Witness (every query journaled)', ...witness });
    const peer = await startDnsmasqPeer({
      dir: tmp,
      tag: 'dnsmasq-log',
      port: await freePort(),
      upstreamPort: upstream.port,
      cpu: serverCpu,
      logQueries: true,
      probeName,
    });
    targets.push({ key: 'dnsmasq-log', label: 'dnsmasq, cache off, `--log-queries` to a file', ...peer });
    // The floor for any Node.js forwarder: node-floor.mjs relays queries and replies and does nothing else.
    const floor = await startNodeFloor({ root, upstreamPort: upstream.port, cpu: serverCpu, probeName });
    targets.push({
      key: 'node-floor',
      label: 'a bare Node.js UDP relay (scripts/bench/node-floor.mjs)',
      ...floor,
    });

    log(`household: settling ${SETTLE_SECONDS} s, then ${idleSeconds} s idle…`);
    await sleep(SETTLE_SECONDS * 1000);
    const idleMeters = targets.map((t) => processCpuMeter(t.proc.pid));
    await sleep(idleSeconds * 1000);
    const idle = Object.fromEntries(
      targets.map((t, i) => {
        const cpuSeconds = idleMeters[i]();
        return [t.key, { cpuSeconds, shareOfCore: cpuSeconds / idleSeconds }];
      }),
    );
    log(
      `household: idle ${targets.map((t) => `${t.key} ${(idle[t.key].shareOfCore * 100).toFixed(3)} %`).join(', ')}`,
    );

    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const cpu = processCpuMeter(t.proc.pid);
        const r = await dnsperf({
          port: t.port,
          queryFile: data.queries,
          seconds,
          qps: rate,
          clients: 1,
          pin: loadCpu,
        });
        const cpuSeconds = cpu();
        const run = {
          round: round + 1,
          case: t.key,
          completed: r.completed,
          lost: r.lost,
          qps: r.qps,
          cpuSeconds,
          shareOfCore: cpuSeconds / seconds,
          cpuUsPerQuery: r.completed > 0 ? (cpuSeconds / r.completed) * 1e6 : NaN,
        };
        runs.push(run);
        log(
          `household, round ${run.round}, ${t.key}: ${run.qps.toFixed(1)} q/s, ${(run.shareOfCore * 100).toFixed(2)} % of a core, ${run.cpuUsPerQuery.toFixed(0)} µs per query`,
        );
      }
    }
    const share = (key) => median(runs.filter((r) => r.case === key).map((r) => r.shareOfCore));
    const load = { witness: share('witness'), peer: share('dnsmasq-log'), floor: share('node-floor') };
    return {
      rate,
      seconds,
      idleSeconds,
      rounds,
      labels: Object.fromEntries(targets.map((t) => [t.key, t.label])),
      idle,
      runs,
      load: { ...load, ratio: load.witness / load.peer, floorRatio: load.floor / load.peer },
    };
  } finally {
    for (const t of targets) await stopProcess(t.proc);
    await stopProcess(upstream.proc);
  }
}

export function renderHouseholdMarkdown(r) {
  const pctOfCore = (x) => `${(x * 100).toFixed(x < 0.01 ? 3 : 2)} %`;
  const idleOk = r.idle.witness.shareOfCore <= HOUSEHOLD_TARGETS.maxIdleShareOfCore;
  const loadOk = r.load.ratio <= HOUSEHOLD_TARGETS.maxCpuRatioToLoggingPeer;
  return [
    `| Case | DNS Witness | dnsmasq --log-queries | bare Node.js relay | Target | Met |`,
    `| --- | ---: | ---: | ---: | --- | --- |`,
    `| idle for ${r.idleSeconds} s: share of one core (CPU seconds) | ${pctOfCore(r.idle.witness.shareOfCore)} (${r.idle.witness.cpuSeconds.toFixed(2)}) | ${pctOfCore(r.idle['dnsmasq-log'].shareOfCore)} (${r.idle['dnsmasq-log'].cpuSeconds.toFixed(2)}) | ${pctOfCore(r.idle['node-floor'].shareOfCore)} | ≤ 0.1 % | ${idleOk ? 'yes' : 'no'} |`,
    `| ${r.rate} q/s for ${r.seconds} s: share of one core, median of ${r.rounds} | ${pctOfCore(r.load.witness)} | ${pctOfCore(r.load.peer)} | ${pctOfCore(r.load.floor)} (${r.load.floorRatio.toFixed(2)}× the peer) | ≤ 1.5× the peer | ${loadOk ? 'yes' : 'no'} (${r.load.ratio.toFixed(2)}×) |`,
    '',
    `The bare relay is the floor for a forwarder in Node.js on this machine: DNS Witness costs ${(r.load.witness / r.load.floor).toFixed(2)}× it at ${r.rate} q/s.`,
    '',
    'Runs: ' +
      r.runs
        .map(
          (x) =>
            `${x.round}/${x.case} ${pctOfCore(x.shareOfCore)} at ${x.qps.toFixed(1)} q/s (${x.completed} answered, ${x.lost} lost)`,
        )
        .join('; ') +
      '.',
    '',
  ].join('\n');
}
