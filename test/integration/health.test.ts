/**
 * /api/health tells the truth. With no upstream that answers it is not ok (503). A disk that fills while
 * DNS Witness runs: queries are still answered, /api/health says what is wrong
 * (and stays ok: DNS works), and recording resumes by itself once space returns. The "disk" is a small
 * tmpfs this test mounts (root only) and removes. A dashboard that stops reading its live stream is named
 * (events-dropped) while it is behind, without holding up DNS or the dashboards that keep up.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { QueryBatch } from '@shared/events';
import type { StreamMessage } from '@shared/http-protocol';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

interface Health {
  ok: boolean;
  problems: { code: string; message: string }[];
}

const isRoot = process.getuid?.() === 0;
if (!isRoot)
  console.log(
    'health.test.ts: the full-disk case is skipped: mounting a small tmpfs as a full disk needs root',
  );

describe.runIf(isRoot)('a data folder whose disk fills up', () => {
  let mountPoint = '';
  let upstream: Dnsmasq;
  let served: Served;

  const health = async (): Promise<{ status: number; body: Health }> => {
    const r = await fetch(`${served.base}/api/health`);
    return { status: r.status, body: (await r.json()) as Health };
  };

  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'dnsw-tmpfs-'));
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint]);
    if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr.toString()}`);
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { dataDir: path.join(mountPoint, 'data') });
  });
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    spawnSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('answers DNS while the disk is full, says so on /api/health, and records again when space returns', async () => {
    expect(await health()).toEqual({
      status: 200,
      body: expect.objectContaining({ ok: true, problems: [] }),
    });
    // Fill the disk to the last byte.
    const filler = path.join(mountPoint, 'filler');
    const fh = await open(filler, 'w');
    const block = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) await fh.write(block);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    try {
      for (;;) await fh.write(block.subarray(0, 512));
    } catch {
      // Every last block taken.
    }
    await fh.close();

    for (let i = 0; i < 20; i++)
      expect((await dig(served.dnsPort, 'www.example.test')).stdout, `query ${i}`).toContain(
        'status: NOERROR',
      );
    const full = await waitFor(
      async () => {
        const h = await health();
        return h.body.problems.some((p) => p.code === 'storage-error') ? h : undefined;
      },
      5_000,
      'the storage problem on /api/health',
    );
    expect(full.status).toBe(200);
    expect(full.body.ok).toBe(true);
    expect(full.body.problems).toContainEqual({
      code: 'storage-error',
      message:
        'Queries are answered but cannot be saved: the disk is full (ENOSPC). They wait in memory and are written when it works again.',
    });

    await rm(filler);
    await waitFor(
      async () => ((await health()).body.problems.length === 0 ? true : undefined),
      5_000,
      'the problem to clear once space returns',
    );
    // Everything answered meanwhile was kept in memory and is written now.
    const page = (await (await fetch(`${served.base}/api/queries?limit=50`)).json()) as { total: number };
    expect(page.total).toBe(20);
  });
});

describe.runIf(isRoot)('a start on a data folder that cannot be written', () => {
  it('answers DNS at once on a full or read-only disk and starts recording by itself once it can write', async () => {
    const upstream = await startDnsmasq();
    const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'dnsw-tmpfs-'));
    const sh = (cmd: string, ...args: string[]) => {
      const r = spawnSync(cmd, args);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString()}`);
    };
    sh('mount', '-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint);
    let served: Served | null = null;
    try {
      for (const how of ['full', 'read-only'] as const) {
        const dataDir = path.join(mountPoint, `data-${how}`);
        const filler = path.join(mountPoint, 'filler');
        if (how === 'full') {
          const fh = await open(filler, 'w');
          try {
            for (;;) await fh.write(Buffer.alloc(4096, 1));
          } catch {
            // Full.
          }
          await fh.close();
        } else sh('mount', '-o', 'remount,ro', mountPoint);

        served = await startServe(upstream.port, { dataDir });
        const s = served;
        expect((await dig(s.dnsPort, 'www.example.test')).stdout, how).toContain('status: NOERROR');
        const r = await fetch(`${s.base}/api/health`);
        const body = (await r.json()) as Health;
        expect(r.status, how).toBe(200);
        expect(
          body.problems.map((p) => p.code),
          how,
        ).toContain('storage-error');
        expect(s.output()).toContain(`cannot write to the data folder ${dataDir}`);

        if (how === 'full') await rm(filler);
        else sh('mount', '-o', 'remount,rw', mountPoint);
        await waitFor(
          async () => {
            const h = (await (await fetch(`${s.base}/api/health`)).json()) as Health;
            return h.problems.length === 0 ? true : undefined;
          },
          5_000,
          `recording to resume on the ${how} disk`,
        );
        expect(s.output()).toContain(`the data folder ${dataDir} can be written again; recording`);
        // The query answered while nothing could be written was kept, and is recorded now.
        const page = (await (await fetch(`${s.base}/api/queries?limit=10`)).json()) as { total: number };
        expect(page.total, how).toBe(1);
        await s.stop();
        served = null;
      }
    } finally {
      await served?.stop();
      await upstream.stop();
      spawnSync('umount', ['-l', mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    }
  });
});

describe('no upstream that answers', () => {
  it('says ok: false with 503 and the reason, while the listener still answers SERVFAIL', async () => {
    // Nothing listens on port 9 (discard) here: every attempt fails at once.
    const served = await startServe(9);
    try {
      for (let i = 0; i < 3; i++)
        expect((await dig(served.dnsPort, `down${i}.example.test`)).stdout).toContain('status: SERVFAIL');
      // The service hears of the failures with the DNS thread's next record batch, moments after the answers.
      const r = await waitFor(
        async () => {
          const res = await fetch(`${served.base}/api/health`);
          return res.status === 503 ? res : undefined;
        },
        5000,
        '/api/health to say 503',
      );
      const body = (await r.json()) as Health;
      expect(r.status).toBe(503);
      expect(body.ok).toBe(false);
      expect(body.problems.map((p) => p.code)).toEqual(['upstreams-down']);
      expect(body.problems[0]!.message).toMatch(
        /^No upstream answers \(127\.0\.0\.1:9: .+\): clients get SERVFAIL\.$/,
      );
    } finally {
      await served.stop();
      await removeDir(served.dataDir);
    }
  });
});

describe('a dashboard that stops reading the live stream', () => {
  let upstream: Dnsmasq;
  let served: Served;
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
  });

  /** A WebSocket client on a raw socket: it completes the handshake, then reads only when told to. */
  const slowStream = async (port: number): Promise<net.Socket> => {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write(
      'GET /api/stream HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const [head] = (await once(sock, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    sock.pause();
    return sock;
  };

  // Flooding the slow stream's buffers takes tens of thousands of queries: seconds on a quiet machine, more
  // on a loaded one; the test waits for states, the timeout only bounds it.
  it('lists events-dropped while it is behind, keeps serving the others, and clears it once it reads again', async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port);
    const health = async (): Promise<Health> =>
      (await (await fetch(`${served.base}/api/health`)).json()) as Health;
    const slow = await slowStream(served.uiPort);
    // A dashboard that keeps up, beside it.
    const fast = new WebSocket(`ws://127.0.0.1:${served.uiPort}/api/stream`);
    let fastEvents = 0;
    let fastDropped = 0;
    fast.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as StreamMessage;
      if (msg.channel !== 'query:batch') return;
      const batch = msg.payload as QueryBatch;
      fastEvents += batch.events.length;
      fastDropped += batch.dropped;
    });
    await once(fast, 'open');

    // Long names make big events, so the slow stream's send buffer (4 MiB past the kernel's) fills sooner.
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    let sent = 0;
    let answered = 0;
    udp.on('message', () => answered++);
    const label = (c: string): string => c.repeat(60);
    const flood = async (): Promise<Health> => {
      // Bounded: at most 200,000 queries, 256 waiting at a time.
      while (sent < 200_000) {
        for (let k = 0; k < 64 && sent - answered < 256; k++, sent++) {
          const name = `${label('a')}.${label('b')}.${label('c')}.n${sent}.wild.example.test`;
          udp.send(
            dnsPacket.encode({ type: 'query', id: sent & 0xffff, questions: [{ type: 'A', name }] }),
            served.dnsPort,
            '127.0.0.1',
          );
        }
        if (sent % 2048 < 64) {
          const h = await health();
          if (h.problems.some((p) => p.code === 'events-dropped')) return h;
        }
        await new Promise((r) => setImmediate(r));
      }
      throw new Error(`no events-dropped after ${sent} queries (${answered} answered)`);
    };
    try {
      const behind = await flood();
      expect(behind.ok).toBe(true);
      const problem = behind.problems.find((p) => p.code === 'events-dropped')!;
      expect(problem.message).toMatch(
        /^A dashboard falls behind the live stream: [\d,]+ live queries were not sent to it \(they are recorded; reloading the dashboard shows them\)\.$/,
      );
      expect(Number(/: ([\d,]+) live/.exec(problem.message)![1]!.replace(/,/g, ''))).toBeGreaterThan(0);
      // The others are still served: DNS answers, and the dashboard that reads got every event.
      expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('status: NOERROR');
      const total = (await (await fetch(`${served.base}/api/summary`)).json()) as { total_queries: number };
      await waitFor(
        () => (fastEvents >= total.total_queries ? true : undefined),
        30_000,
        'the reading dashboard to get every event',
      );
      expect(fastDropped).toBe(0);

      // It reads again: once its buffer drains it is no longer behind, and the problem goes.
      slow.resume();
      slow.on('data', () => undefined);
      await waitFor(
        async () => ((await health()).problems.length === 0 ? true : undefined),
        30_000,
        'events-dropped to clear',
      );
    } finally {
      udp.close();
      fast.close();
      slow.destroy();
    }
  }, 90_000);
});
