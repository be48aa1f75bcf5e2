// Turns the runs of `npm run bench` into the markdown that docs/BENCHMARKS.md quotes.
import { max, median } from './stats.mjs';

/**
 * Targets of docs/BENCHMARKS.md: with every query journaled, DNS Witness answers at least 1.5 times as many
 * queries a second as dnsmasq that logs them, adds at most 0.1 ms at the median at 1,000 q/s, and its p99
 * there is no higher than the logging dnsmasq's.
 */
export const TARGETS = { minRatioToLoggingPeer: 1.5, maxAddedP50Ms: 0.1 };

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const us = (n) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const pct = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(2)} %` : 'n/a');
const pct0 = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)} %` : 'n/a');
const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

function sum(runs, key) {
  return runs.reduce((n, r) => n + (Number.isFinite(r[key]) ? r[key] : 0), 0);
}

/**
 * Folds the per-run records into medians per forwarder and per-round ratios. `runs` holds
 * { round, target, kind: 'max' | 'latency', qps, sent, completed, lost, p50, p99, recorded?, rssKb? }.
 */
export function summarise(targets, runs, rounds) {
  const of = (key, kind) => runs.filter((r) => r.target === key && r.kind === kind);
  const byRound = (key, kind, round) =>
    runs.find((r) => r.target === key && r.kind === kind && r.round === round);
  const roundList = Array.from({ length: rounds }, (_, i) => i + 1);
  const rows = targets.map((t) => {
    const maxRuns = of(t.key, 'max');
    const latRuns = of(t.key, 'latency');
    const all = [...maxRuns, ...latRuns];
    const added = roundList.map(
      (r) => (byRound(t.key, 'latency', r)?.p50 ?? NaN) - (byRound('direct', 'latency', r)?.p50 ?? NaN),
    );
    const recordedRuns = all.filter((r) => Number.isFinite(r.recorded));
    return {
      key: t.key,
      label: t.label,
      maxQps: median(maxRuns.map((r) => r.qps)),
      maxQpsRange: [Math.min(...maxRuns.map((r) => r.qps)), Math.max(...maxRuns.map((r) => r.qps))],
      p50: median(latRuns.map((r) => r.p50)),
      p99: median(latRuns.map((r) => r.p99)),
      addedP50: t.key === 'direct' ? NaN : median(added),
      lostShare: sum(all, 'lost') / sum(all, 'sent'),
      recordedShare: recordedRuns.length ? sum(recordedRuns, 'recorded') / sum(recordedRuns, 'sent') : NaN,
      cpuUsPerQuery: median(maxRuns.map((r) => r.cpuUsPerQuery)),
      rssKb: median(maxRuns.map((r) => r.rssKb)),
      rssMaxKb: max(maxRuns.map((r) => r.rssKb)),
    };
  });
  const ratio = (a, b) =>
    median(roundList.map((r) => (byRound(a, 'max', r)?.qps ?? NaN) / (byRound(b, 'max', r)?.qps ?? NaN)));
  return {
    rows,
    ratioToLogging: ratio('witness', 'dnsmasq-log'),
    // NaN without the second, thread-pinned DNS Witness (no pinning).
    ratioSplitToLogging: ratio('witness-split', 'dnsmasq-log'),
    ratioToPlain: ratio('witness', 'dnsmasq'),
    ratioToDirect: ratio('witness', 'direct'),
    // CPU per query is a ratio of medians: each server's figure is steady across rounds on its own.
    cpuRatioToLogging:
      (rows.find((r) => r.key === 'witness')?.cpuUsPerQuery ?? NaN) /
      (rows.find((r) => r.key === 'dnsmasq-log')?.cpuUsPerQuery ?? NaN),
  };
}

/** Markdown: the medians table, the targets with PASS/MISS, and one line per run. */
export function renderMarkdown({ summary, runs, rate, duration, rounds, extra }) {
  const { rows } = summary;
  const w = rows.find((r) => r.key === 'witness');
  const lines = [];
  lines.push(
    `Medians of ${rounds} round${rounds === 1 ? '' : 's'}; max qps from \`dnsperf -l ${duration} -c 8\`, ` +
      `latency from \`dnsperf -Q ${rate} -l ${duration} -v\`; added p50 = forwarder p50 − direct p50 in the same round.`,
    '',
    `| forwarder | max qps | p50 ms @ ${int(rate)} qps | p99 ms @ ${int(rate)} qps | added p50 ms | lost | queries recorded |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows)
    lines.push(
      `| ${r.label} | ${int(r.maxQps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.key === 'direct' ? '—' : ms(r.addedP50)} | ` +
        `${pct(r.lostShare)} | ${Number.isFinite(r.recordedShare) ? pct(r.recordedShare) : '—'} |`,
    );
  const throughputOk = summary.ratioToLogging >= TARGETS.minRatioToLoggingPeer;
  const latencyOk = w.addedP50 <= TARGETS.maxAddedP50Ms;
  const logging = rows.find((r) => r.key === 'dnsmasq-log');
  const p99Ok = w.p99 <= logging.p99;
  const s = rows.find((r) => r.key === 'witness-split');
  const floor = rows.find((r) => r.key === 'node-floor');
  const splitOk = s ? summary.ratioSplitToLogging >= TARGETS.minRatioToLoggingPeer : null;
  lines.push(
    '',
    `DNS Witness / dnsmasq-with-logging max qps: **${summary.ratioToLogging.toFixed(2)}** ` +
      (s ? `(with its DNS thread alone on the CPU: **${summary.ratioSplitToLogging.toFixed(2)}**) ` : '') +
      `(median of per-round ratios); / dnsmasq without logging: ${summary.ratioToPlain.toFixed(2)}; ` +
      `/ upstream direct: ${summary.ratioToDirect.toFixed(2)}.`,
    `CPU time per answered query in the max-throughput runs (user + system, median): DNS Witness ` +
      `${us(w.cpuUsPerQuery)} µs, dnsmasq with logging ${us(logging.cpuUsPerQuery)} µs, ` +
      `ratio ${summary.cpuRatioToLogging.toFixed(2)}. Unlike qps this hardly moves when other processes share the CPUs.`,
    '',
    '| target (from the issue) | measured | result |',
    '|---|---|---|',
    `| throughput ≥ ${TARGETS.minRatioToLoggingPeer}× dnsmasq with logging, the whole of DNS Witness on its CPU | ${int(w.maxQps)} vs ${int(logging.maxQps)} qps (ratio ${summary.ratioToLogging.toFixed(2)}) | ${throughputOk ? 'PASS' : 'MISS'} |`,
    ...(s
      ? [
          `| the same, DNS Witness's DNS thread alone on that CPU | ${int(s.maxQps)} vs ${int(logging.maxQps)} qps (ratio ${summary.ratioSplitToLogging.toFixed(2)}) | ${splitOk ? 'PASS' : 'MISS'} |`,
        ]
      : []),
    `| added latency p50 ≤ ${TARGETS.maxAddedP50Ms} ms at ${int(rate)} qps | ${ms(w.addedP50)} ms | ${latencyOk ? 'PASS' : 'MISS'} |`,
    `| p99 at ${int(rate)} qps ≤ dnsmasq with logging's | ${ms(w.p99)} vs ${ms(logging.p99)} ms | ${p99Ok ? 'PASS' : 'MISS'} |`,
    '',
    ...(floor
      ? [
          `The bare Node.js relay, which records nothing, answered ${int(floor.maxQps)} qps at most (${(floor.maxQps / logging.maxQps).toFixed(2)}× dnsmasq with logging) ` +
            `and added ${ms(floor.addedP50)} ms at the median, p99 ${ms(floor.p99)} ms: the floor for a forwarder on Node.js on this machine.`,
          '',
        ]
      : []),
    `DNS Witness memory: RSS after the max-throughput run ${mb(w.rssKb)} (median; highest ${mb(w.rssMaxKb)}), ` +
      `peak (VmHWM) ${mb(extra.witnessHwmKb)}. Journal on disk: ${int(extra.journalBytes)} bytes for ` +
      `${int(extra.journalQueries)} queries = **${extra.bytesPerQuery.toFixed(0)} bytes/query** ` +
      `(dnsmasq's text query log: ${extra.dnsmasqLogBytesPerQuery.toFixed(0)} bytes/query). ` +
      `The store lists ${int(extra.storedQueries)} of the ${int(extra.journalQueries)} queries DNS Witness counted ` +
      `(\`GET /api/queries\` total).`,
    '',
    '<details><summary>Every run</summary>',
    '',
    '| round | forwarder | run | qps | sent | lost | p50 ms | p99 ms | recorded | upstream queries | CPU µs/query | other CPU |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of runs)
    lines.push(
      `| ${r.round} | ${r.target} | ${r.kind} | ${int(r.qps)} | ${int(r.sent)} | ${int(r.lost)} | ${ms(r.p50)} | ${ms(r.p99)} | ` +
        `${Number.isFinite(r.recorded) ? int(r.recorded) : '—'} | ${int(r.upstream)} | ${us(r.cpuUsPerQuery)} | ${pct0(r.others)} |`,
    );
  lines.push('', '</details>');
  return { text: lines.join('\n'), throughputOk, latencyOk, p99Ok, splitOk };
}
