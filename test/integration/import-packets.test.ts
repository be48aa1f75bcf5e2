/**
 * Packet captures written by tcpdump (pcap) and dumpcap (pcapng) inside a router's network namespace, while
 * the router asks gw.safethings.avira.com once a second of a resolver in another namespace, imported with
 * `npm run import`: every lookup, paired with its answer, from the router's address and MAC, which a service
 * that adopts the capture shows in its device table and CSV.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBeacon } from '../helpers/beacon';
import { journalText } from '../../electron/engine/capture/test-support';
import { createLab, startHostDnsmasq, type HostDnsmasq, type Lab, type LabHost } from '../helpers/netns';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { requireTool, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IMPORT = path.join(ROOT, 'scripts/import.mjs');
const ROUTER_MAC = 'f4:f2:6d:12:34:57';
const BEATS = 5;

let lab: Lab;
let router: LabHost;
let resolver: LabHost;
let dns: HostDnsmasq;
let work: string;
let served: Served | undefined;
let upstream: Dnsmasq | undefined;

/**
 * Starts a capture tool in the router's namespace and waits until it says it is capturing. It stops by itself
 * after the packets it was told to count (`-c`): `done()` waits for that, so no packet is cut off.
 */
async function capture(cmd: string, args: string[], ready: RegExp): Promise<{ done(): Promise<void> }> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', router.ns, cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${cmd} exited: ${stderr}`);
      return ready.test(stderr) ? true : undefined;
    },
    15_000,
    `${cmd} to capture`,
  );
  return {
    done: async () => {
      await waitFor(() => (child.exitCode !== null ? true : undefined), 15_000, `${cmd} to see every packet`);
      await exited;
      if (child.exitCode !== 0) throw new Error(`${cmd} failed: ${stderr}`);
    },
  };
}

beforeAll(async () => {
  requireTool('tcpdump', 'tcpdump');
  requireTool('dumpcap', 'tshark');
  lab = await createLab([
    { name: 'router', mac: ROUTER_MAC },
    { name: 'resolver', mac: '02:00:00:00:53:53' },
  ]);
  [router, resolver] = lab.hosts as [LabHost, LabHost];
  dns = await startHostDnsmasq(lab, resolver, ['--address=/safethings.avira.com/192.0.2.78']);
  work = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-packets-'));
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await upstream?.stop();
  await dns?.stop();
  await lab?.destroy();
  await rm(work ?? '', { recursive: true, force: true });
});

describe('importing packet captures of a router beacon', () => {
  it('reads the pcap of tcpdump and the pcapng of dumpcap alike', async () => {
    const pcapFile = path.join(work, 'router.pcap');
    const pcapngFile = path.join(work, 'router.pcapng');
    // A query and its response per beat.
    const count = String(2 * BEATS);
    const tcpdump = await capture(
      'tcpdump',
      ['-i', router.iface, '-U', '-c', count, '-w', pcapFile, 'port 53'],
      /listening on/,
    );
    const dumpcap = await capture(
      'dumpcap',
      ['-i', router.iface, '-c', count, '-f', 'port 53', '-w', pcapngFile],
      /Capturing on/,
    );
    const answers = await runBeacon({
      server: resolver.ipv4,
      port: 53,
      source: router.ipv4,
      beats: BEATS,
      periodMs: 1000,
      every: ['gw.safethings.avira.com'],
      netns: router.ns,
    });
    await tcpdump.done();
    await dumpcap.done();
    expect(answers.map((a) => a.answer)).toEqual(Array(BEATS).fill('192.0.2.78'));

    for (const file of [pcapFile, pcapngFile]) {
      const dataDir = await mkdtemp(path.join(work, 'data-'));
      const r = spawnSync(process.execPath, [IMPORT, file, '--data-dir', dataDir, '--json'], {
        encoding: 'utf8',
        cwd: ROOT,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as {
        capture_id: string;
        queries: number;
      };
      expect(out.queries).toBe(BEATS);
      const dir = path.join(dataDir, 'captures', out.capture_id);
      const meta = JSON.parse(await readFile(path.join(dir, 'capture.json'), 'utf8')) as {
        source: { format: string; wire: boolean; devices: { address: string; mac: string }[] };
      };
      expect(meta.source).toMatchObject({ format: file.endsWith('ng') ? 'pcapng' : 'pcap', wire: true });
      expect(meta.source.devices).toEqual([{ address: router.ipv4, mac: ROUTER_MAC, name: '' }]);
      const records = (await journalText(path.join(dir, 'journal.ndjson')))
        .split('\n')
        .filter((l) => l.startsWith('{"seq"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records).toHaveLength(BEATS);
      for (const rec of records) {
        expect(rec).toMatchObject({
          client: router.ipv4,
          qname: 'gw.safethings.avira.com',
          qtype: 'A',
          rcode: 'NOERROR',
          answers: '192.0.2.78',
          upstream: `${resolver.ipv4}:53`,
          watchRule: 'avira-safethings',
        });
        expect(typeof rec.q).toBe('string');
        expect(typeof rec.r).toBe('string');
      }
      const ts = records.map((rec) => rec.ts as number);
      expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    }

    // Imported while a service holds the folder: it adopts the capture, and its device table and CSV give the
    // router the MAC its packets came from (the service never saw that address itself).
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { dataDir: await mkdtemp(path.join(work, 'served-')) });
    const r = spawnSync(process.execPath, [IMPORT, pcapFile, '--data-dir', served.dataDir, '--json'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.status).toBe(0);
    const id = (JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as { capture_id: string }).capture_id;
    const device = await waitFor(
      async () => {
        const page = (await (await fetch(`${served!.base}/api/clients`)).json()) as {
          clients: { address: string; mac: string }[];
        };
        return page.clients.find((c) => c.address === router.ipv4 && c.mac !== '');
      },
      15_000,
      "the adopted capture's router with its MAC in /api/clients",
    );
    expect(device.mac).toBe(ROUTER_MAC);
    const csv = await (await fetch(`${served.base}/api/export.csv?captureId=${id}`)).text();
    const rows = csv.trimEnd().split('\r\n').slice(1);
    expect(rows).toHaveLength(BEATS);
    for (const row of rows) expect(row.split(',').slice(8, 10)).toEqual([router.ipv4, ROUTER_MAC]);
  });
});
