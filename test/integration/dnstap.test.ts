/**
 * dnstap out, read by the real readers: the reference `dnstap` tool (golang-dnstap) listening on a unix
 * socket and on TCP gets every exchange from the built service as CLIENT_QUERY/RESPONSE and
 * FORWARDER_QUERY/RESPONSE, with the names that were asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { dig, freePort, requireTool, run, waitFor } from '../helpers/tools';

interface Reader {
  output(): string;
  stop(): Promise<void>;
}

/** `dnstap ARGS -y`: the reference reader, printing YAML. Resolves once it listens. */
async function startReader(args: readonly string[], tcpPort = 0): Promise<Reader> {
  requireTool('dnstap', 'golang-github-dnstap-golang-dnstap-cli');
  const child: ChildProcess = spawn('dnstap', [...args, '-y'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  // On a unix socket it says so; on TCP it says nothing, so ask the kernel (ss, iproute2).
  await waitFor(
    async () =>
      tcpPort === 0
        ? err.includes('opened input socket') || undefined
        : (await run('ss', ['-Hltn', `sport = :${tcpPort}`])).stdout.includes(`:${tcpPort}`) || undefined,
    5000,
    `dnstap ${args.join(' ')} to listen (${err.trim()})`,
  );
  return {
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The YAML documents `dnstap -y` printed, as the lines that matter: message type and question names. */
function messages(yaml: string): { type: string; names: string[]; identity: string; version: string }[] {
  return yaml
    .split(/^---$/m)
    .filter((doc) => doc.includes('message:'))
    .map((doc) => ({
      type: /^ {2}type: (\w+)/m.exec(doc)?.[1] ?? '',
      identity: /^identity: "(.*)"/m.exec(doc)?.[1] ?? '',
      version: /^version: "(.*)"/m.exec(doc)?.[1] ?? '',
      names: [...doc.matchAll(/^ +;([^\s;]\S*)\.\s+IN\s/gm)].map((m) => m[1]!),
    }));
}

const TYPES = ['CLIENT_QUERY', 'CLIENT_RESPONSE', 'FORWARDER_QUERY', 'FORWARDER_RESPONSE'];

describe('dnstap out', () => {
  let upstream: Dnsmasq;
  let dir = '';
  beforeAll(async () => {
    upstream = await startDnsmasq();
    dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-dnstap-'));
  });
  afterAll(async () => {
    await upstream?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const kind of ['unix', 'tcp'] as const)
    it(`sends every exchange to \`dnstap\` on a ${kind} socket, both sides, with the names asked`, async () => {
      let readerArgs: string[];
      let target: string;
      let tcpPort = 0;
      if (kind === 'unix') {
        const sock = path.join(dir, 'reader.sock');
        readerArgs = ['-u', sock];
        target = `unix:${sock}`;
      } else {
        tcpPort = await freePort();
        readerArgs = ['-l', `127.0.0.1:${tcpPort}`];
        target = `tcp:127.0.0.1:${tcpPort}`;
      }
      const reader = await startReader(readerArgs, tcpPort);
      let served: Served | null = null;
      try {
        served = await startServe(upstream.port, { args: ['--dnstap-out', target] });
        const asked = ['www.example.test', 'router.example.test', 'nothing.example.test'];
        for (const name of asked) await dig(served.dnsPort, name);
        await dig(served.dnsPort, 'txt.example.test', 'TXT', ['+tcp']);
        asked.push('txt.example.test');
        const got = await waitFor(
          () => {
            const m = messages(reader.output());
            return m.length >= asked.length * 4 ? m : undefined;
          },
          10_000,
          'dnstap to print every message',
        );
        console.log(
          `dnstap (${kind}) printed ${got.length} messages, e.g.:\n${reader.output().slice(0, 900)}`,
        );
        for (const name of asked)
          expect(got.filter((m) => m.names.includes(name)).map((m) => m.type)).toEqual(TYPES);
        expect(new Set(got.flatMap((m) => m.names))).toEqual(new Set(asked));
        for (const m of got) {
          expect(m.identity).toBe(os.hostname());
          expect(m.version).toMatch(/^DNS Witness \d/);
        }
        // The forwarder side carries the upstream's address and port.
        expect(reader.output()).toContain(`response_port: ${upstream.port}`);
        expect(reader.output()).toMatch(/socket_protocol: TCP/);
        const health = (await (await fetch(`${served.base}/api/health`)).json()) as {
          problems: { code: string }[];
        };
        expect(health.problems.map((p) => p.code)).not.toContain('dnstap-dropped');
      } finally {
        await served?.stop();
        await reader.stop();
      }
    });

  it('exports every answered query at once: CSV, and a dnstap file that `dnstap -r` and dnstap-ldns read', async () => {
    requireTool('dnstap-ldns', 'dnstap-ldns');
    const served = await startServe(upstream.port);
    try {
      const asked = ['www.example.test', 'router.example.test', 'nothing.example.test'];
      // Then all at once: the later records wait for their batch on the DNS thread.
      for (const name of asked) await dig(served.dnsPort, name);
      await Promise.all(asked.map((name) => dig(served.dnsPort, name)));
      // Asked the moment the last answer arrived, without waiting for the dashboard: every query is in.
      const csv = await (await fetch(`${served.base}/api/export.csv`)).text();
      expect(
        csv
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',')[2])
          .sort(),
      ).toEqual([...asked, ...asked].sort());
      const res = await fetch(`${served.base}/api/export.dnstap`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/\.dnstap"$/);
      const file = path.join(dir, 'capture.dnstap');
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      for (const reader of ['dnstap', 'dnstap-ldns']) {
        const r = await run(reader, ['-r', file, '-q']);
        console.log(`${reader} -r -q printed:\n${r.stdout}${r.stderr}`);
        expect(r.code).toBe(0);
        const lines = r.stdout.trim().split('\n');
        expect(lines).toHaveLength(asked.length * 4);
        for (const name of asked) {
          const mine = lines.filter((l) => l.includes(` ${name}.`) || l.includes(`"${name}."`));
          expect(mine.map((l) => / (CQ|CR) /.exec(l)?.[1])).toEqual(['CQ', 'CR', 'CQ', 'CR']);
        }
      }
    } finally {
      await served.stop();
    }
  });
});
