// The background load: several dnsperf processes at fixed rates, each from its own 127.0.0.x address so
// the dashboard shows several devices, together sending the requested queries per second.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseSummary } from '../bench/dnsperf.mjs';
import { runCommand } from '../bench/procs.mjs';

/** Source address of the i-th load device (0-based): 127.0.0.2, 127.0.0.3, … (127.0.0.1 sends markers). */
export const deviceAddress = (i) => `127.0.0.${i + 2}`;

/** Writes dnsperf's query file: `count` names under bench.test, type A, which the upstream all answers. */
export function writeQueryFile(dir, count) {
  const file = path.join(dir, 'queries.txt');
  const lines = Array.from({ length: count }, (_, k) => `n${String(k + 1).padStart(4, '0')}.bench.test A\n`);
  writeFileSync(file, lines.join(''));
  return file;
}

/** Splits `qps` over `devices` as evenly as whole numbers allow. */
export function splitRate(qps, devices) {
  return Array.from({ length: devices }, (_, i) => Math.floor(qps / devices) + (i < qps % devices ? 1 : 0));
}

/**
 * Runs one dnsperf per device for `seconds` at the split rate against 127.0.0.1:`port`. Resolves to
 * { perDevice: [{ address, qps, sent, completed, lost, … }], sent, completed, lost } once all have
 * finished; rejects when any fails or overruns.
 */
export async function runLoad({ port, queryFile, qps, seconds, devices, clients }) {
  const rates = splitRate(qps, devices).filter((r) => r > 0);
  const runs = rates.map(async (rate, i) => {
    const address = deviceAddress(i);
    const args = ['-s', '127.0.0.1', '-p', String(port), '-a', address, '-d', queryFile];
    args.push('-Q', String(rate), '-l', String(seconds), '-c', String(clients));
    // dnsperf waits up to its 5 s query timeout after the time limit; anything beyond that is a hang.
    const r = await runCommand(`dnsperf ${address}`, 'dnsperf', args, (seconds + 30) * 1000);
    if (r.code !== 0)
      throw new Error(`dnsperf -a ${address} exited with code ${r.code}:\n${r.stderr}${r.stdout}`);
    return { address, rate, ...parseSummary(r.stdout) };
  });
  const perDevice = await Promise.all(runs);
  const sum = (k) => perDevice.reduce((n, d) => n + d[k], 0);
  return { perDevice, sent: sum('sent'), completed: sum('completed'), lost: sum('lost') };
}
