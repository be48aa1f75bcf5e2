/**
 * Captures written before journals were compressed open, export and verify as they always did: the fixture
 * is the data folder of the headless service at commit b76ebee (two captures of real DNS through dnsmasq,
 * one stopped with SIGTERM, one killed), read by the built service of this tree, whose journals stay plain
 * and byte for byte as they were.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { requireTool, run, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');
const FIXTURE = path.join(ROOT, 'electron/engine/capture/testdata/b76ebee');
const STOPPED = '20261202-163657-e35c';
const KILLED = '20261202-163707-3cbb';

interface Line {
  seq: number;
  time: string;
  client: string;
  qname: string;
  q?: string;
  r?: string;
}

function verify(file: string): { code: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [VERIFY, file], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, lines: `${r.stdout}${r.stderr}`.trimEnd().split('\n') };
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('a data folder written by b76ebee', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let tmp: string;
  let records: Line[] = [];
  const before = new Map<string, string>();

  beforeAll(async () => {
    requireTool('tshark', 'tshark');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dnsw-migration-'));
    const dataDir = path.join(tmp, 'data');
    await cp(path.join(FIXTURE, 'captures'), path.join(dataDir, 'captures'), { recursive: true });
    for (const id of [STOPPED, KILLED]) {
      const text = await readFile(path.join(dataDir, 'captures', id, 'journal.ndjson'));
      before.set(id, sha256(text));
      for (const l of text.toString('utf8').split('\n'))
        if (l.startsWith('{"seq"')) records.push(JSON.parse(l) as Line);
    }
    records = records.sort((a, b) => a.seq - b.seq);
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, {
      dataDir,
      args: ['--no-capture', '--retention-days', '0'],
    });
    await waitFor(
      async () => {
        const h = (await (await fetch(`${served.base}/api/health`)).json()) as {
          history?: { state: string };
        };
        return h.history?.state === 'loaded' ? true : undefined;
      },
      20_000,
      'the history to load',
    );
  });

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (tmp) await removeDir(tmp);
  });

  it('opens with every record', async () => {
    expect(records).toHaveLength(122);
    const page = (await (await fetch(`${served.base}/api/queries?limit=1000`)).json()) as {
      total: number;
      events: { seq: number; qname: string; client_ip: string }[];
    };
    expect(page.total).toBe(records.length);
    expect(page.events.map((e) => [e.seq, e.qname, e.client_ip]).reverse()).toEqual(
      records.map((r) => [r.seq, r.qname, r.client]),
    );
  });

  it('exports CSV and PCAP from its records', async () => {
    const csv = await (await fetch(`${served.base}/api/export.csv`)).text();
    const rows = csv.trimEnd().split('\r\n').slice(1);
    expect(rows.map((r) => r.split(',').slice(0, 3))).toEqual(
      records.map((r) => [r.time, r.client, r.qname]),
    );
    const file = path.join(tmp, 'dns.pcap');
    await writeFile(file, Buffer.from(await (await fetch(`${served.base}/api/export.pcap`)).arrayBuffer()));
    // The made-up server side is the port DNS Witness listens on now; not 53, so tshark is told it is DNS.
    const decode = ['-d', `udp.port==${served.dnsPort},dns`, '-d', `tcp.port==${served.dnsPort},dns`];
    const r = await run('tshark', ['-r', file, ...decode, '-Y', 'dns', '-T', 'fields', '-e', 'dns.qry.name']);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.trimEnd().split('\n');
    const expected = records.flatMap((x) => [...(x.q ? [x.qname] : []), ...(x.r ? [x.qname] : [])]);
    expect(names.length).toBeGreaterThan(0);
    expect(names.sort()).toEqual(expected.sort());
  });

  it('puts its journals in a bundle unchanged, and verify says what it said before', async () => {
    const body = Buffer.from(await (await fetch(`${served.base}/api/evidence.zip`)).arrayBuffer());
    const zip = unzipSync(new Uint8Array(body));
    for (const id of [STOPPED, KILLED]) expect(sha256(zip[`journal/${id}.ndjson`]!)).toBe(before.get(id));
    const file = path.join(tmp, 'evidence.zip');
    await writeFile(file, body);
    const v = verify(file);
    expect(v.code, v.lines.join('\n')).toBe(2);
    expect(v.lines.filter((l) => l.startsWith('UNVERIFIED journal/'))).toEqual([
      `UNVERIFIED journal/${STOPPED}.ndjson: no closing seal (written before journals were closed with one): cannot tell whether records after record 61 are missing; 61 records in 25 sealed blocks unchanged`,
      `UNVERIFIED journal/${KILLED}.ndjson: no closing seal (written before journals were closed with one): cannot tell whether records after record 122 are missing; 61 records in 21 sealed blocks unchanged`,
    ]);
    expect(v.lines.some((l) => l.startsWith('MISMATCH'))).toBe(false);
    expect(strFromU8(zip['manifest.json']!)).toContain('"chain": "chained"');
  });

  it('verifies its journals as before (the lines of the verify of b76ebee’s successors)', () => {
    expect(verify(path.join(FIXTURE, 'captures', STOPPED, 'journal.ndjson'))).toEqual({
      code: 2,
      lines: [
        'UNVERIFIED journal.ndjson: no closing seal (written before journals were closed with one): cannot tell whether records after record 61 are missing; 61 records in 25 sealed blocks unchanged',
      ],
    });
    expect(verify(path.join(FIXTURE, 'captures', KILLED, 'journal.ndjson'))).toEqual({
      code: 2,
      lines: [
        'UNVERIFIED journal.ndjson: open: the capture is still running, as its capture.json says (or the app was killed); 61 records in 21 sealed blocks unchanged so far; records after record 122 cannot be vouched for until it stops',
      ],
    });
  });

  it('leaves its journals as they were: plain, not compressed, with a checkpoint beside them', async () => {
    for (const id of [STOPPED, KILLED]) {
      const dir = path.join(tmp, 'data', 'captures', id);
      expect((await readdir(dir)).sort()).toEqual(['capture.json', 'checkpoint.bin', 'journal.ndjson']);
      expect(sha256(await readFile(path.join(dir, 'journal.ndjson')))).toBe(before.get(id));
    }
  });
});
