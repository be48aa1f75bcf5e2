// `npm run bench -- --import`: how fast `npm run import` reads an AdGuard Home query log, a dnsmasq log
// (log-queries=extra) and a pcap file of N queries each, generated here. Rows per second by the wall clock and
// per CPU second of the importer (user + system, from /usr/bin/time when it is there), and its peak memory.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';

const START = Date.parse('2026-11-20T00:00:00Z');
const NAMES = Array.from({ length: 1000 }, (_, i) =>
  i % 3 === 0 ? `n${i}.safethings.avira.com` : `site${i}.example.com`,
);
const RESPONSES = NAMES.map((name, i) =>
  dnsPacket.encode({
    type: 'response',
    id: i,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name }],
    answers: [{ type: 'A', name, ttl: 60, data: `192.0.2.${i % 250}` }],
  }),
);
const QUERIES = NAMES.map((name, i) =>
  dnsPacket.encode({
    type: 'query',
    id: i,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  }),
);

/** Writes `n` rows made by `row(i)` (strings or buffers), in blocks, to `file`. */
async function writeRows(file, n, head, row) {
  const out = createWriteStream(file);
  if (head) out.write(head);
  let block = [];
  const flush = async () => {
    const chunk = typeof block[0] === 'string' ? block.join('') : Buffer.concat(block);
    block = [];
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  };
  for (let i = 0; i < n; i++) {
    block.push(row(i));
    if (block.length >= 10_000) await flush();
  }
  if (block.length > 0) await flush();
  await new Promise((r) => out.end(r));
}

const client = (i) => `192.168.0.${(i % 200) + 1}`;

/** AdGuard Home's querylog.json: its logEntry fields in order, 10 ms apart. */
function adguardRow(i) {
  const t = new Date(START + i * 10).toISOString().slice(0, 23);
  return (
    `{"T":"${t}123+00:00","QH":"${NAMES[i % 1000]}","QT":"A","QC":"IN","CP":"",` +
    `"Upstream":"https://dns10.quad9.net:443/dns-query","Answer":"${RESPONSES[i % 1000].toString('base64')}",` +
    `"IP":"${client(i)}","Result":{},"Elapsed":2345678}\n`
  );
}

/** Three log-queries=extra lines per query, as dnsmasq writes them. */
function dnsmasqRow(i) {
  const d = new Date(START + i * 10);
  const stamp = `${d.toUTCString().slice(8, 11)} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
  const who = `${i + 1} ${client(i)}/${40_000 + (i % 20_000)}`;
  const name = NAMES[i % 1000];
  return (
    `${stamp} dnsmasq[812]: ${who} query[A] ${name} from ${client(i)}\n` +
    `${stamp} dnsmasq[812]: ${who} forwarded ${name} to 1.1.1.1\n` +
    `${stamp} dnsmasq[812]: ${who} reply ${name} is 192.0.2.${i % 250}\n`
  );
}

const PCAP_HEADER = (() => {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262_144, 16);
  b.writeUInt32LE(101, 20); // raw IP
  return b;
})();

/** A pcap record holding an IPv4/UDP packet (checksums left 0: no reader here checks them). */
function packet(us, src, sport, dst, dport, msg) {
  const b = Buffer.alloc(16 + 28 + msg.length);
  b.writeUInt32LE(Math.floor(us / 1e6), 0);
  b.writeUInt32LE(us % 1e6, 4);
  b.writeUInt32LE(28 + msg.length, 8);
  b.writeUInt32LE(28 + msg.length, 12);
  b[16] = 0x45;
  b.writeUInt16BE(28 + msg.length, 18);
  b[24] = 64;
  b[25] = 17;
  src.forEach((x, k) => (b[28 + k] = x));
  dst.forEach((x, k) => (b[32 + k] = x));
  b.writeUInt16BE(sport, 36);
  b.writeUInt16BE(dport, 38);
  b.writeUInt16BE(8 + msg.length, 40);
  msg.copy(b, 44);
  return b;
}

/** A query from a LAN client and its response 0.5 ms later. */
function pcapRow(i) {
  const us = (START + i * 10) * 1000;
  const c = [192, 168, 0, (i % 200) + 1];
  const server = [192, 168, 0, 254];
  const port = 40_000 + (i % 20_000);
  return Buffer.concat([
    packet(us, c, port, server, 53, QUERIES[i % 1000]),
    packet(us + 500, server, 53, c, port, RESPONSES[i % 1000]),
  ]);
}

/** Runs the built importer on `file`; wall seconds, CPU seconds (or null) and peak RSS in MiB (or null). */
function timeImport(root, file, dataDir) {
  rmSync(dataDir, { recursive: true, force: true });
  const cli = path.join(root, 'out', 'main', 'import.js');
  const timed = existsSync('/usr/bin/time');
  const cmd = timed ? '/usr/bin/time' : process.execPath;
  const args = timed
    ? ['-f', 'TIME %e %U %S %M', process.execPath, cli, file, '--data-dir', dataDir, '--json']
    : [cli, file, '--data-dir', dataDir, '--json'];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`import of ${file} failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trimEnd().split('\n').at(-1));
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return {
    queries: out.queries,
    wall: m ? Number(m[1]) : wall,
    cpu: m ? Number(m[2]) + Number(m[3]) : null,
    rssMiB: m ? Math.round(Number(m[4]) / 1024) : null,
  };
}

/** Generates the three inputs of `rows` queries in `dir` and imports each; the markdown table. */
export async function benchImport({ root, dir, rows, log }) {
  const cases = [
    { label: 'AdGuard Home querylog.json', file: 'querylog.json', head: null, row: adguardRow, lines: 1 },
    { label: 'dnsmasq log (log-queries=extra)', file: 'dnsmasq.log', head: null, row: dnsmasqRow, lines: 3 },
    { label: 'pcap (raw IPv4, UDP)', file: 'dns.pcap', head: PCAP_HEADER, row: pcapRow, lines: 2 },
  ];
  const results = [];
  for (const c of cases) {
    const file = path.join(dir, c.file);
    log(`import bench: writing ${rows.toLocaleString('en-US')} queries as ${c.label}`);
    await writeRows(file, rows, c.head, c.row);
    const bytes = statSync(file).size;
    // Other work on the machine takes cores from the importer's two threads: say how much there was.
    const load = os.loadavg()[0];
    log(
      `import bench: importing ${c.file} (${Math.round(bytes / 2 ** 20)} MiB), load average ${load.toFixed(2)}`,
    );
    const r = timeImport(root, file, path.join(dir, 'data'));
    if (r.queries !== rows) throw new Error(`${c.file}: imported ${r.queries} of ${rows} queries`);
    results.push({ ...c, bytes, load, ...r });
    rmSync(file, { force: true });
  }
  rmSync(path.join(dir, 'data'), { recursive: true, force: true });
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `| input | size | queries | load | wall s | queries/s (wall) | CPU s | queries/s (CPU) | entries/s (CPU) | peak RSS |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...results.map(
      (r) =>
        `| ${r.label} | ${fmt(r.bytes / 2 ** 20)} MiB | ${fmt(r.queries)} | ${r.load.toFixed(1)} | ${r.wall.toFixed(1)} | ${fmt(r.queries / r.wall)} | ` +
        `${r.cpu === null ? '–' : r.cpu.toFixed(1)} | ${r.cpu === null ? '–' : fmt(r.queries / r.cpu)} | ` +
        `${r.cpu === null ? '–' : fmt((r.queries * r.lines) / r.cpu)} | ${r.rssMiB === null ? '–' : `${r.rssMiB} MiB`} |`,
    ),
  ];
  return { results, markdown: lines.join('\n') };
}
