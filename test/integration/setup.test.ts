/**
 * The setup assistant's engine side with real sockets: the self-test through a real dnsmasq upstream, the router
 * check fed by a real query from a router address, settings saved from the UI restarting the forwarder on new
 * addresses while the capture goes on, refusals per field, and the conflict advice from `ss` run live in a
 * network namespace where dnsmasq holds port 53.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEngineOptions, Engine } from '../../electron/engine/engine';
import { diagnosePort53 } from '../../electron/engine/setup/diagnose';
import { parseSs } from '../../electron/engine/setup/sockets';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { createLab, type Lab } from '../helpers/netns';
import { dig, freePort, requireTool, waitFor } from '../helpers/tools';

const ROUTER = '127.0.0.3';
let upstream: Dnsmasq;
let engine: Engine;
let dataDir = '';
let port = 0;

beforeAll(async () => {
  requireTool('dig', 'bind9-dnsutils');
  upstream = await startDnsmasq();
  dataDir = await mkdtemp(join(tmpdir(), 'dnsw-setup-'));
  port = await freePort();
  engine = await Engine.open(
    defaultEngineOptions({
      listen: [{ host: '127.0.0.1', port }],
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      dataDir,
      routers: [ROUTER],
      // As `serve` started without flags (its default data folder being this one): saved settings apply.
      commandLine: [],
    }),
    { devices: { detectGateways: false } },
  );
  await engine.listen();
});

afterAll(async () => {
  await engine?.close();
  await upstream?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('setup assistant, engine side', () => {
  it('is a first run until something is saved', async () => {
    const state = await engine.setupState(0);
    expect(state.firstRun).toBe(true);
    expect(state.routers).toContain(ROUTER);
    expect(state.routerQuery).toBeNull();
    expect(state.capturing).toBe(true);
    expect(state.addresses.length).toBeGreaterThan(0);
    // This machine's LAN addresses are not used by this engine: a probe bind says whether port 53 is free there
    // (as root), or needs permission; another program may hold it. Never "cannot tell".
    const expected = process.getuid?.() === 0 ? ['free', 'in-use'] : ['denied', 'in-use'];
    for (const a of state.addresses) expect(expected, `${a.address}: ${a.detail}`).toContain(a.state);
    expect(await engine.setupState(0, false)).toMatchObject({ firstRun: true, addresses: [], advice: [] });
    // Nothing says the router uses this computer yet: nothing to restore on quit.
    expect(engine.restoreGuidance()).toBe('');
  });

  it('the self-test resolves a name through our own listener and the upstream, and records nothing', async () => {
    const before = engine.clients().length;
    const [result, ...rest] = await engine.selfTest();
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ address: '127.0.0.1', port, ok: true, rcode: 'NXDOMAIN' });
    expect(result!.upstream).toBe(`127.0.0.1:${upstream.port}`);
    expect(result!.message).toContain(`127.0.0.1:${port} answered in`);
    expect(engine.clients().length).toBe(before);
  });

  it('the self-test says so when no upstream answers', async () => {
    const dead = await freePort();
    const saved = await engine.saveConfig({
      listen: [`127.0.0.1:${port}`],
      upstreams: [`127.0.0.1:${dead}`],
      allow: [],
      retentionDays: 30,
      dataDir: '',
    });
    expect(saved.ok).toBe(true);
    const [result] = await engine.selfTest();
    expect(result).toMatchObject({ ok: false, rcode: 'SERVFAIL', upstream: '' });
    expect(result!.message).toContain('no upstream did');
  });

  it('notices the router’s first query since the assistant started waiting', async () => {
    await engine.saveConfig({
      listen: [`127.0.0.1:${port}`],
      upstreams: [`127.0.0.1:${upstream.port}`],
      allow: [],
      retentionDays: 30,
      dataDir: '',
    });
    const since = Date.now();
    await dig(port, 'www.example.test', 'A', ['-b', '127.0.0.2']);
    expect((await engine.setupState(since)).routerQuery).toBeNull();
    const r = await dig(port, 'dfp-dual.safethings.avira.com', 'A', ['-b', ROUTER, '+short']);
    expect(r.stdout.trim()).toBe('192.0.2.77');
    const state = await engine.setupState(since);
    expect(state.routerQuery?.address).toBe(ROUTER);
    expect(state.routerQuery!.ts).toBeGreaterThanOrEqual(since);
    expect((await engine.setupState(Date.now() + 1000)).routerQuery).toBeNull();
  });

  it('saves progress, which ends the first run and fills the restore guidance', async () => {
    const progress = await engine.saveSetupProgress({
      brand: 'tplink-archer',
      wanChanged: true,
      previousWan: '',
      done: true,
    });
    expect(progress).toMatchObject({ brand: 'tplink-archer', wanChanged: true, dhcpChanged: false });
    expect((await engine.setupState(0)).firstRun).toBe(false);
    expect(engine.restoreGuidance()).toContain(
      'Internet/WAN DNS — TP-Link Archer: Advanced → Network → Internet: set back to “Get Dynamically from ISP”.',
    );
    expect(engine.restoreGuidance()).not.toContain('DHCP');
  });
});

describe('settings saved from the UI', () => {
  it('a new listen address restarts the forwarder there; the capture and its counts go on', async () => {
    const capture = engine.status().capture!;
    await dig(port, 'www.example.test');
    const queriesBefore = engine.status().counters.queries;
    const newPort = await freePort();
    const result = await engine.saveConfig({
      listen: [`127.0.0.1:${newPort}`],
      upstreams: [`127.0.0.1:${upstream.port}`],
      allow: ['203.0.113.0/24'],
      retentionDays: 10,
      dataDir: '',
    });
    expect(result).toMatchObject({ ok: true, applied: ['listen', 'allow', 'retentionDays'] });
    if (!result.ok) return;
    expect(result.message).toContain(
      `The DNS listener restarted on 127.0.0.1:${newPort}; the capture goes on.`,
    );
    expect((await dig(newPort, 'www.example.test', 'A', ['+short'])).stdout.trim()).toBe('192.0.2.10');
    expect((await dig(port, 'www.example.test', 'A', ['+short'])).code).not.toBe(0);
    const status = engine.status();
    expect(status.capture?.id).toBe(capture.id);
    expect(status.counters.queries).toBe(queriesBefore + 1);
    expect(status.listeners.map((l) => `${l.address}:${l.port}/${l.state}`)).toEqual([
      `127.0.0.1:${newPort}/listening`,
      `127.0.0.1:${newPort}/listening`,
    ]);
    const file = JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(file).toMatchObject({
      listen: [`127.0.0.1:${newPort}`],
      allow: ['203.0.113.0/24'],
      retentionDays: 10,
    });
    expect(engine.configView().effective.listen).toEqual([`127.0.0.1:${newPort}`]);
    port = newPort;
  });

  it('refuses, per field, what this machine cannot use, and changes nothing', async () => {
    const before = engine.configView();
    const result = await engine.saveConfig({
      listen: ['192.0.2.55'],
      upstreams: [ROUTER],
      allow: [],
      retentionDays: 30,
      dataDir: '/proc/dns-witness',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.listen).toMatch(/^192\.0\.2\.55 is not an address of this computer/);
    expect(result.errors.upstreams).toBe(
      `${ROUTER} is your router: once it points at this computer, queries would go round in a loop. Use a public resolver such as 9.9.9.9.`,
    );
    expect(result.errors.dataDir).toMatch(/^DNS Witness cannot use this folder: /);
    expect(engine.configView()).toEqual(before);
  });

  it('keeps the previous addresses when the new ones cannot be bound', async () => {
    const busy = await startDnsmasq();
    try {
      const result = await engine.saveConfig({
        listen: [`127.0.0.1:${busy.port}`],
        upstreams: [`127.0.0.1:${upstream.port}`],
        allow: [],
        retentionDays: 30,
        dataDir: '',
      });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.listen).toMatch(/already in use by dnsmasq .*\(kept the previous addresses\)$/);
      expect((await dig(port, 'www.example.test', 'A', ['+short'])).stdout.trim()).toBe('192.0.2.10');
    } finally {
      await busy.stop();
    }
  });

  it('a saved data folder waits for the next start', async () => {
    const elsewhere = join(dataDir, 'moved');
    const result = await engine.saveConfig({
      ...engine.configView().values,
      dataDir: elsewhere,
    });
    expect(result).toMatchObject({ ok: true, applied: [] });
    if (!result.ok) return;
    expect(result.view.restartNeeded).toEqual(['dataDir']);
    expect(result.message).toContain('The data folder changes at the next start.');
  });
});

describe('conflicts seen live', () => {
  let lab: Lab;
  afterAll(() => lab?.destroy());

  it('`ss` inside a namespace where dnsmasq holds port 53 on every address yields the dnsmasq advice', async () => {
    requireTool('dnsmasq', 'dnsmasq-base');
    requireTool('ss', 'iproute2');
    lab = await createLab([{ name: 'busy', mac: '02:00:00:00:00:01' }]);
    const host = lab.hosts[0]!;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        host.ns,
        'dnsmasq',
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-resolv',
      ].concat(['--no-hosts', '--port=53', '--pid-file=', '--user=root']),
      { stdio: 'ignore' },
    );
    try {
      const out = await waitFor(
        async () => {
          const r = await lab.exec(host, 'ss', ['-Hlunp', 'sport = :53']);
          return r.stdout.includes('dnsmasq') ? r.stdout : undefined;
        },
        5000,
        'dnsmasq to listen in the namespace',
      );
      const holders = parseSs(out);
      expect(holders.map((h) => h.address).sort()).toEqual(['0.0.0.0', '::']);
      const advice = diagnosePort53({
        platform: 'linux',
        execPath: '/usr/bin/node',
        runtime: 'node',
        failures: [{ host: host.ipv4, port: 53, transport: 'udp', code: 'EADDRINUSE' }],
        holders,
        listen: [{ host: host.ipv4, port: 53 }],
      });
      expect(advice[0]).toMatchObject({ id: 'dnsmasq', severity: 'error' });
      expect(advice[0]!.text).toContain(`dnsmasq (pid ${holders[0]!.pid}) listens on 0.0.0.0:53, [::]:53`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
