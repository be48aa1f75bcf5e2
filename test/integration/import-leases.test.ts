/**
 * DHCP leases from a real dnsmasq: it serves DHCP in a router's network namespace, a laptop's namespace
 * asks for a lease with busybox's udhcpc (sending its host name), and dnsmasq writes its lease file.
 * `npm run import -- LOG --leases dnsmasq.leases` names the laptop of an imported AdGuard Home log with its
 * MAC and host name, and its provenance (capture.json, the evidence sentence, `npm run verify`) names the
 * lease file with its SHA-256; `--leases` alone names the MAC in the data folder's device names.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureSource } from '../../shared/events';
import { importedSentence } from '../../electron/engine/export/summary';
import { adguardLine } from '../../electron/engine/import/test-support';
import { createLab, startHostDnsmasq, type HostDnsmasq, type Lab, type LabHost } from '../helpers/netns';
import { requireTool, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IMPORT = path.join(ROOT, 'scripts/import.mjs');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');
const LAPTOP_MAC = '3c:22:fb:12:34:56';
const START = Date.parse('2026-11-20T09:00:00Z');

function importCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [IMPORT, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let lab: Lab;
let router: LabHost;
let laptop: LabHost;
let dhcp: HostDnsmasq | undefined;
let work: string;
let leaseFile: string;
let leased: string;

beforeAll(async () => {
  requireTool('busybox', 'busybox');
  lab = await createLab([
    { name: 'router', mac: '02:00:00:00:00:01' },
    { name: 'laptop', mac: LAPTOP_MAC },
  ]);
  [router, laptop] = lab.hosts as [LabHost, LabHost];
  work = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-leases-'));
  leaseFile = path.join(work, 'dnsmasq.leases');
  const subnet = router.ipv4.split('.').slice(0, 3).join('.');
  dhcp = await startHostDnsmasq(lab, router, [
    `--dhcp-range=${subnet}.200,${subnet}.220,12h`,
    `--dhcp-leasefile=${leaseFile}`,
    '--dhcp-authoritative',
  ]);
  // One lease, then udhcpc exits (-q); its script does nothing, so the namespace keeps its addresses.
  const r = await lab.exec(
    laptop,
    'busybox',
    [
      'udhcpc',
      '-i',
      laptop.iface,
      '-q',
      '-n',
      '-t',
      '5',
      '-T',
      '1',
      '-s',
      '/bin/true',
      '-x',
      'hostname:laptop',
    ],
    30_000,
  );
  if (r.code !== 0) throw new Error(`udhcpc got no lease: ${r.stderr.trim() || r.stdout.trim()}`);
  leased = await waitFor(
    async () => {
      const text = await readFile(leaseFile, 'utf8').catch(() => '');
      return / laptop /.test(text) ? text.split(' ')[2] : undefined;
    },
    10_000,
    'dnsmasq to write the lease',
  );
}, 90_000);

afterAll(async () => {
  await dhcp?.stop();
  await lab?.destroy();
  await rm(work ?? '', { recursive: true, force: true });
});

describe('DHCP leases of a real dnsmasq', () => {
  it('the lease file holds the laptop’s MAC, its address and the host name it sent', async () => {
    const line = (await readFile(leaseFile, 'utf8')).trimEnd();
    expect(line).toMatch(new RegExp(`^\\d+ ${LAPTOP_MAC} ${leased.replace(/\./g, '\\.')} laptop `));
  });

  it('names the devices of an import with --leases', async () => {
    const dataDir = path.join(work, 'data');
    const log = path.join(work, 'querylog.json');
    await writeFile(
      log,
      [0, 1, 2]
        .map((i) =>
          adguardLine({
            ts: START + i * 1000,
            client: leased,
            qname: 'gw.safethings.avira.com',
            answer: '192.0.2.7',
          }),
        )
        .join('\n') + '\n',
    );
    const r = importCli(log, '--leases', leaseFile, '--data-dir', dataDir, '--json');
    expect(r.stderr).not.toContain('dns-witness import:');
    expect(r.code).toBe(0);
    const id = (JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as { capture_id: string }).capture_id;
    const meta = JSON.parse(await readFile(path.join(dataDir, 'captures', id, 'capture.json'), 'utf8')) as {
      source: CaptureSource;
    };
    expect(meta.source.devices).toEqual([{ address: leased, mac: LAPTOP_MAC, name: 'laptop' }]);
    // The lease file is in the provenance beside the log: its name, size and SHA-256 as read.
    const leaseBytes = await readFile(leaseFile);
    const leaseSha = createHash('sha256').update(leaseBytes).digest('hex');
    expect(meta.source.leases).toEqual([
      { name: 'dnsmasq.leases', bytes: leaseBytes.length, sha256: leaseSha },
    ]);
    expect(r.stderr).toContain(
      `note: devices named by the DHCP leases dnsmasq.leases (SHA-256 ${leaseSha})\n`,
    );
    expect(importedSentence(id, meta.source)).toContain(
      `The devices' MACs and names also come from the DHCP leases dnsmasq.leases (SHA-256 ${leaseSha}).`,
    );
    const v = spawnSync(process.execPath, [VERIFY, path.join(dataDir, 'captures', id, 'journal.ndjson')], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(v.status).toBe(0);
    expect(v.stdout).toContain(
      `not observed by it; devices named by the DHCP leases dnsmasq.leases (SHA-256 ${leaseSha})`,
    );
    // No DNS Witness held the folder: the MAC is named there too.
    expect(JSON.parse(await readFile(path.join(dataDir, 'devices.json'), 'utf8'))).toMatchObject({
      byMac: { [LAPTOP_MAC]: 'laptop' },
    });
  });

  it('--leases alone names the data folder’s devices; a damaged lease file gives one line and exit 1', async () => {
    const dataDir = path.join(work, 'alone');
    const r = importCli('--leases', leaseFile, '--data-dir', dataDir, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!)).toEqual({ leases: 1, named: 1 });
    expect(JSON.parse(await readFile(path.join(dataDir, 'devices.json'), 'utf8'))).toMatchObject({
      byMac: { [LAPTOP_MAC]: 'laptop' },
    });

    const bad = path.join(work, 'bad.leases');
    await writeFile(bad, `${(await readFile(leaseFile, 'utf8')).trimEnd()}\n1795200000 oops\n`);
    const b = importCli('--leases', bad, '--data-dir', path.join(work, 'bad-data'));
    expect(b.code).toBe(1);
    expect(b.stderr).toBe(
      'dns-witness import: dnsmasq leases bad.leases line 2: not a dnsmasq lease line ("EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID")\n',
    );
  });
});
