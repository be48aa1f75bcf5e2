/**
 * Evidence export through the built headless service with real DNS: the CSV read back by Python's csv
 * module (a real parser, not ours), the PCAP read by tshark, and `npm run verify` catching one changed
 * byte in every file of a bundle and in a journal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestText, type Manifest } from '../../electron/engine/export/manifest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, requireTool, run, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');

interface ApiEvent {
  seq: number;
  timestamp: string;
  client_ip: string;
  client_port: number;
  transport: string;
  qname: string;
  qtype: string;
  size: number;
  capture_id: string;
}

/** Names no spreadsheet or CSV writer should trip over; dig sends the escaped bytes as they are. */
const HOSTILE = [
  'quote"in.example.test',
  'comma,in.example.test',
  'line\\010break.example.test',
  'cr\\013here.example.test',
  '=cmd.example.test',
  // dig would read a leading + - @ as an option: RFC 1035 escapes send the same bytes.
  '\\043sum.example.test',
  '\\045minus.example.test',
  '\\064at.example.test',
  '\\009tab.example.test',
  'bücher.example.test',
];
/** A device name with everything a CSV must survive: formula prefix, quotes, comma, non-ASCII. */
const DEVICE_NAME = '=HYPERLINK("http://x"), "Küche" ☕';

/** What a spreadsheet must not run: the CSV cell for `value`. */
function neutralised(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Reads a CSV file with Python's csv module (RFC 4180 dialect) and returns its rows. */
function pythonCsv(file: string): string[][] {
  const r = spawnSync(
    'python3',
    [
      '-c',
      "import csv,sys,json; f=open(sys.argv[1], newline='', encoding='utf-8', errors='strict'); " +
        'print(json.dumps(list(csv.reader(f, strict=True))))',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`python3 csv failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[][];
}

function verify(file: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [VERIFY, file], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function download(url: string, file: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const body = Buffer.from(await res.arrayBuffer());
  await writeFile(file, body);
  return body;
}

describe('evidence export', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let tmp: string;
  let events: ApiEvent[] = [];

  beforeAll(async () => {
    requireTool('tshark', 'tshark');
    requireTool('python3', 'python3');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dnsw-evidence-'));
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { args: ['--router', '127.0.0.3'] });
    const port = served.dnsPort;
    expect((await dig(port, 'www.example.test', 'A', ['-b', '127.0.0.1', '+short'])).stdout.trim()).toBe(
      '192.0.2.10',
    );
    await dig(port, 'txt.example.test', 'TXT', ['-b', '127.0.0.2', '+tcp']);
    await dig(port, 'dfp-dual.safethings.avira.com', 'A', ['-b', '127.0.0.3']);
    await dig(port, 'www.example.test', 'AAAA', ['-b', '127.0.0.2']);
    for (const name of HOSTILE) await dig(port, name, 'A', ['-b', '127.0.0.2', '+noidnin']);
    const rename = await fetch(`${served.base}/api/rpc/device:rename`, {
      method: 'POST',
      body: JSON.stringify({ args: { address: '127.0.0.2', name: DEVICE_NAME } }),
    });
    expect(rename.status).toBe(200);
    const total = 4 + HOSTILE.length;
    events = await waitFor(
      async () => {
        const page = (await (await fetch(`${served.base}/api/queries?limit=1000`)).json()) as {
          total: number;
          events: ApiEvent[];
        };
        return page.total >= total ? page.events.reverse() : undefined;
      },
      5000,
      `${total} recorded queries`,
    );
  });

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exports CSV that a real parser reads back field for field, hostile names neutralised', async () => {
    const file = path.join(tmp, 'all.csv');
    const bytes = await download(`${served.base}/api/export.csv`, file);
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const rows = pythonCsv(file);
    expect(rows[0]).toEqual([
      'timestamp',
      'client_ip',
      'qname',
      'qtype',
      'rcode',
      'answers',
      'latency_ms',
      'upstream',
      'device',
      'mac',
      'vendor',
      'is_router',
      'watch_rule',
    ]);
    const body = rows.slice(1);
    expect(body).toHaveLength(events.length);
    body.forEach((row, i) => {
      const ev = events[i]!;
      expect(row[0]).toBe(ev.timestamp);
      expect(row[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
      expect(row[1]).toBe(ev.client_ip);
      expect(row[2]).toBe(neutralised(ev.qname));
      expect(row[3]).toBe(ev.qtype);
      if (ev.client_ip === '127.0.0.2') expect(row[8]).toBe(`'${DEVICE_NAME}`);
      if (ev.client_ip === '127.0.0.3') expect(row[11]).toBe('true');
    });
    const qnames = body.map((r) => r[2]);
    // Labels with quotes, commas and control bytes arrive escaped as in RFC 4343, never as raw line breaks.
    expect(qnames).toContain('quote"in.example.test');
    expect(qnames).toContain('comma,in.example.test');
    expect(qnames).toContain('line\\010break.example.test');
    expect(qnames).toContain("'=cmd.example.test");
    expect(qnames).toContain("'+sum.example.test");
    expect(qnames).toContain("'-minus.example.test");
    expect(qnames).toContain("'@at.example.test");
    expect(qnames.every((q) => !/^[=+\-@\t\r]/.test(q!))).toBe(true);
    // Non-ASCII survives as UTF-8 (the device name) and as RFC 4343 escapes (raw label bytes).
    expect(qnames.some((q) => q!.startsWith('b\\195\\188cher'))).toBe(true);
  });

  it('exports the same filtered CSV rows as /api/queries returns for the same parameters', async () => {
    const params = 'client=127.0.0.2&name=example';
    const page = (await (await fetch(`${served.base}/api/queries?${params}&limit=1000`)).json()) as {
      total: number;
      events: ApiEvent[];
    };
    const file = path.join(tmp, 'filtered.csv');
    await download(`${served.base}/api/export.csv?${params}`, file);
    const rows = pythonCsv(file).slice(1);
    expect(page.total).toBeGreaterThan(5);
    expect(rows).toHaveLength(page.total);
    expect(rows.map((r) => r[0])).toEqual(page.events.map((e) => e.timestamp).reverse());
    const bad = await fetch(`${served.base}/api/export.csv?from=yesterday`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/from: not a time/);
  });

  it('exports a PCAP that tshark reads with the recorded times, clients, ports and names', async () => {
    const file = path.join(tmp, 'dns.pcap');
    await download(`${served.base}/api/export.pcap`, file);
    // The server side is the port DNS Witness listens on; here not 53, so tshark is told it carries DNS.
    const decode = ['-d', `tcp.port==${served.dnsPort},dns`, '-d', `udp.port==${served.dnsPort},dns`];
    const r = await run('tshark', [
      '-r',
      file,
      ...decode,
      '-Y',
      'dns',
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-e',
      'frame.time_epoch',
      '-e',
      'ip.src',
      '-e',
      'udp.srcport',
      '-e',
      'tcp.srcport',
      '-e',
      'dns.flags.response',
      '-e',
      'dns.qry.name',
      '-e',
      'dns.qry.type',
      '-e',
      'dns.id',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const packets = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    const queries = packets.filter((p) => p[4] === 'False' || p[4] === '0');
    const responses = packets.filter((p) => p[4] === 'True' || p[4] === '1');
    expect(queries, r.stdout).toHaveLength(events.length);
    expect(responses).toHaveLength(events.filter((e) => e.size > 0).length);
    events.forEach((ev, i) => {
      const p = queries[i]!;
      expect(Math.abs(Number(p[0]) * 1000 - Date.parse(ev.timestamp))).toBeLessThan(1);
      expect(p[1]).toBe(ev.client_ip);
      expect(Number(ev.transport === 'tcp' ? p[3] : p[2])).toBe(ev.client_port);
      if (/^[a-z0-9.-]+$/.test(ev.qname)) expect(p[5]).toBe(ev.qname);
    });
    expect(events.some((e) => e.transport === 'tcp')).toBe(true);
    // tshark finds nothing it would flag as malformed.
    const malformed = await run('tshark', [
      '-r',
      file,
      ...decode,
      '-Y',
      '_ws.malformed || _ws.expert.severity >= "error"',
    ]);
    expect(malformed.stdout.trim()).toBe('');
  });

  it('builds a bundle that verifies, and verify names any file with one changed byte', async () => {
    const file = path.join(tmp, 'bundle.zip');
    const zip = await download(`${served.base}/api/evidence.zip?client=127.0.0.3`, file);
    const ok = verify(file);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out.trim().split('\n')).toHaveLength(1);
    expect(ok.out).toMatch(/^OK bundle\.zip: \d+ files match the manifest/);

    const files = unzipSync(new Uint8Array(zip));
    const names = Object.keys(files);
    const captureId = events[0]!.capture_id;
    expect(names).toEqual(
      expect.arrayContaining([
        'queries.csv',
        'dns.pcap',
        `journal/${captureId}.ndjson`,
        'summary.json',
        'report.html',
        'manifest.json',
      ]),
    );
    const summary = JSON.parse(strFromU8(files['summary.json']!)) as {
      queries: { exported: number };
      computer: { time_zone: string; clock: string };
      period: { from: string; to: string };
      router: { addresses: string[] };
      captures: { journal: { chain: string } }[];
      watchlist: { rule: string }[];
      upstreams: { address: string }[];
    };
    expect(summary.queries.exported).toBe(1);
    expect(summary.computer.time_zone).not.toBe('');
    expect(summary.period.from).toMatch(/^\d{4}-/);
    expect(summary.router.addresses).toContain('127.0.0.3');
    expect(summary.captures[0]?.journal.chain).toBe('chained');
    expect(summary.watchlist.map((w) => w.rule)).toContain('avira-safethings');
    expect(summary.upstreams[0]?.address).toContain(String(upstream.port));
    const report = strFromU8(files['report.html']!);
    expect(report).toContain('No journal record was changed after capture');
    expect(report).toContain(summary.computer.time_zone);
    expect(report).toContain('&quot;Küche&quot;'); // the device name, escaped
    expect(report).not.toContain('<script');

    for (const name of names) {
      const copy: Zippable = { ...files };
      const changed = Uint8Array.from(files[name]!);
      const at = Math.floor(changed.length / 2);
      changed[at] = changed[at]! ^ 0x01;
      copy[name] = changed;
      const tampered = path.join(tmp, `tampered-${name.replace(/\W/g, '_')}.zip`);
      await writeFile(tampered, zipSync(copy));
      const r = verify(tampered);
      expect(r.code, `${name}: ${r.out}`).toBe(1);
      expect(r.out, name).toContain(`MISMATCH ${name}`);
    }
  });

  it('names the changed journal records even when the manifest is rewritten to match', async () => {
    const zip = await download(`${served.base}/api/evidence.zip`, path.join(tmp, 'all.zip'));
    const files = unzipSync(new Uint8Array(zip));
    const journalName = Object.keys(files).find((n) => n.startsWith('journal/'))!;
    const lines = strFromU8(files[journalName]!).split('\n');
    const target = lines.findIndex((l) => l.includes('"qname":"www.example.test"'));
    const seq = (JSON.parse(lines[target]!) as { seq: number }).seq;
    lines[target] = lines[target]!.replace('www.example.test', 'www.examplf.test');
    files[journalName] = strToU8(lines.join('\n'));
    // A careful forger also fixes the manifest: only the journal's hash chain can still tell.
    const { createHash } = await import('node:crypto');
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as Manifest;
    const { manifest_sha256: _m, ...rest } = manifest;
    files['manifest.json'] = strToU8(
      manifestText({
        ...rest,
        files: manifest.files.map((f) =>
          f.name === journalName
            ? { ...f, sha256: createHash('sha256').update(files[journalName]!).digest('hex') }
            : f,
        ),
      }),
    );
    const tampered = path.join(tmp, 'forged.zip');
    await writeFile(tampered, zipSync(files));
    const r = verify(tampered);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      new RegExp(
        `MISMATCH ${journalName}: records? [0-9–]*${seq}|MISMATCH ${journalName}: records \\d+–\\d+`,
      ),
    );
    expect(r.out).toContain('changed after they were sealed');
    expect(r.out).not.toContain('MISMATCH manifest.json');
  });

  it('names the changed range of a journal on disk, and a bundle built from it says so', async () => {
    const capturesDir = path.join(served.dataDir, 'captures');
    const [id] = await readdir(capturesDir);
    const journal = path.join(capturesDir, id!, 'journal.ndjson');
    // Everything recorded so far is sealed once the journal has been flushed (every 250 ms).
    await waitFor(
      async () =>
        (await readFile(journal, 'utf8')).trimEnd().split('\n').at(-1)!.startsWith('{"chain"')
          ? true
          : undefined,
      3000,
      'the journal to end with a seal',
    );
    // The capture is still running: its journal is sealed so far, but verify cannot vouch for its end.
    const open = verify(journal);
    expect(open.code, open.out).toBe(2);
    expect(open.out).toMatch(
      /^UNVERIFIED journal\.ndjson: open: the capture is still running.*; \d+ records in \d+ sealed blocks unchanged so far/,
    );
    const text = await readFile(journal, 'utf8');
    const at = text.indexOf('"qtype":"AAAA"');
    await writeFile(journal, `${text.slice(0, at)}"qtype":"AAAB"${text.slice(at + 14)}`);
    const r = verify(journal);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /MISMATCH journal\.ndjson: records? \d+(–\d+)? \(block \d+\): changed after they were sealed/,
    );

    const file = path.join(tmp, 'after-change.zip');
    const zip = await download(`${served.base}/api/evidence.zip`, file);
    const files = unzipSync(new Uint8Array(zip));
    expect(strFromU8(files['report.html']!)).toContain('do NOT match their seals');
    const again = verify(file);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toContain(`MISMATCH journal/${id}.ndjson`);
  });
});
