// Runs dnsperf 2.x and reads its report. Its summary block looks like
//   Queries sent: 2000 / Queries completed: 2000 (100.00%) / Queries lost: 0 (0.00%) / Queries per second: 999.9
// and with -v every answered query is one line "> NOERROR n0001.bench.test A 0.000201" (latency in seconds).
import { runCommand } from './procs.mjs';
import { percentileSorted } from './stats.mjs';

function field(text, label) {
  const m = new RegExp(`^\\s*${label}:\\s+([0-9.]+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Parses dnsperf's "Statistics:" block. Throws when it is missing (dnsperf failed to run). */
export function parseSummary(text) {
  const stats = text.lastIndexOf('Statistics:');
  if (stats < 0) throw new Error('dnsperf printed no statistics');
  const block = text.slice(stats);
  const codes = /^\s*Response codes:\s+(.*)$/m.exec(block)?.[1] ?? '';
  const rcodes = {};
  for (const m of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]] = Number(m[2]);
  return {
    sent: field(block, 'Queries sent'),
    completed: field(block, 'Queries completed'),
    lost: field(block, 'Queries lost'),
    qps: field(block, 'Queries per second'),
    runTime: field(block, 'Run time \\(s\\)'),
    rcodes,
  };
}

/** Latencies in milliseconds from dnsperf -v lines, ascending. */
export function parseLatencies(text) {
  const out = [];
  for (const m of text.matchAll(/^> \S+ \S+ \S+ (\d+\.\d+)$/gm)) out.push(Number(m[1]) * 1000);
  return out.sort((a, b) => a - b);
}

/**
 * Runs dnsperf against 127.0.0.1:port and returns the parsed summary, plus p50/p99 (ms) when
 * `verbose`. `pin` is a CPU number for taskset, or null. Rejects when dnsperf fails or overruns.
 */
export async function dnsperf({ port, queryFile, seconds, clients, qps, runs, verbose, pin }) {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile];
  if (seconds !== undefined) args.push('-l', String(seconds));
  if (runs !== undefined) args.push('-n', String(runs));
  if (clients !== undefined) args.push('-c', String(clients));
  if (qps !== undefined) args.push('-Q', String(qps));
  if (verbose) args.push('-v');
  const [cmd, argv] = pin === null ? ['dnsperf', args] : ['taskset', ['-c', String(pin), 'dnsperf', ...args]];
  // dnsperf waits up to its 5 s query timeout after the time limit; anything beyond that is a hang.
  const limitMs = ((seconds ?? 60) + 30) * 1000;
  const r = await runCommand('dnsperf', cmd, argv, limitMs);
  if (r.code !== 0)
    throw new Error(`dnsperf exited with code ${r.code}:\n${r.stderr}${r.stdout.slice(-2000)}`);
  const summary = parseSummary(r.stdout);
  if (!verbose) return summary;
  const lat = parseLatencies(r.stdout);
  return { ...summary, samples: lat.length, p50: percentileSorted(lat, 50), p99: percentileSorted(lat, 99) };
}
