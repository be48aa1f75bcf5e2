// The traffic of the soak run (`npm run bench -- --soak MINUTES`), all to 127.0.0.0/8: a steady good load
// whose every query is accounted for, a TCP probe, and the bad traffic of each phase. Every generator is
// bounded in time (it stops at its deadline or when stopped) and in count (a cap on what it sends or opens).
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import dnsPacket from 'dns-packet';
import { benchRecord } from './servers.mjs';

/** A good query without an answer after this long counts as lost (the service gives up on upstreams at 1.5 s). */
export const LOST_MS = 3000;
const SOCKETS = 4;

/** An A query for `name` with `id`, as bytes. */
function query(id, name) {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
}

/**
 * Sends `rate` good A queries a second on a fixed schedule from 127.0.0.1 (round-robin over a few sockets)
 * and books each one into the interval it was sent in: answered NOERROR with its latency, answered with
 * another code, or lost (no answer within LOST_MS). `intervalOf(t)` maps a send time (performance.now())
 * to an interval number. Returns { stop(): Promise<void> (waits out the last timeouts), intervals, late }.
 */
export async function goodLoad({ port, rate, names, intervalOf, maxQueries }) {
  const intervals = new Map();
  const bucket = (i) => {
    let b = intervals.get(i);
    if (!b) {
      b = { sent: 0, noerror: 0, servfail: 0, other: 0, lost: 0, latencies: [] };
      intervals.set(i, b);
    }
    return b;
  };
  const state = { late: 0, sent: 0 };
  const sockets = [];
  for (let s = 0; s < SOCKETS; s++) {
    const sock = dgram.createSocket('udp4');
    await new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', resolve);
    });
    const pending = new Map();
    sock.on('message', (msg) => {
      if (msg.length < 12) return;
      const p = pending.get(msg.readUInt16BE(0));
      if (!p) {
        state.late++;
        return;
      }
      pending.delete(msg.readUInt16BE(0));
      const b = bucket(p.interval);
      const rcode = msg[3] & 15;
      // NOERROR with at least one answer is the only right answer for the bench's names.
      if (rcode === 0 && msg.readUInt16BE(6) > 0) b.noerror++;
      else if (rcode === 2) b.servfail++;
      else b.other++;
      b.latencies.push(performance.now() - p.t0);
    });
    sock.on('error', () => {});
    sockets.push({ sock, pending, nextId: Math.floor(Math.random() * 65536) });
  }
  const start = performance.now();
  let k = 0;
  const send = () => {
    const due = Math.min(maxQueries, Math.floor(((performance.now() - start) * rate) / 1000));
    while (state.sent < due) {
      const s = sockets[state.sent % SOCKETS];
      let id = s.nextId;
      while (s.pending.has(id)) id = (id + 1) & 0xffff;
      s.nextId = (id + 1) & 0xffff;
      const t0 = performance.now();
      const interval = intervalOf(t0);
      s.pending.set(id, { t0, interval });
      bucket(interval).sent++;
      s.sock.send(query(id, benchRecord((k++ % names) + 1).name), port, '127.0.0.1');
      state.sent++;
    }
  };
  // Pending entries are in send order, so the sweep stops at the first one still in time.
  const sweep = () => {
    const now = performance.now();
    for (const s of sockets)
      for (const [id, p] of s.pending) {
        if (now - p.t0 < LOST_MS) break;
        s.pending.delete(id);
        bucket(p.interval).lost++;
      }
  };
  const sendTimer = setInterval(send, 5);
  const sweepTimer = setInterval(sweep, 100);
  return {
    intervals,
    get late() {
      return state.late;
    },
    get sent() {
      return state.sent;
    },
    async stop() {
      clearInterval(sendTimer);
      await new Promise((resolve) => setTimeout(resolve, LOST_MS + 200));
      sweep();
      clearInterval(sweepTimer);
      for (const s of sockets) s.sock.close();
    },
  };
}

/** One A query over a new TCP connection from 127.0.0.1; resolves { ok, ms } (ok: NOERROR within 3 s). */
export function tcpQuery(port, name) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const id = Math.floor(Math.random() * 65536);
    const msg = query(id, name);
    const framed = Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg]);
    let got = Buffer.alloc(0);
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (ok) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done(false), LOST_MS);
    sock.on('connect', () => sock.write(framed));
    sock.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      done(got.readUInt16BE(2) === id && (got[5] & 15) === 0);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

// Garbage that a DNS listener on the open network meets: noise, cut-off headers, questions that run past
// the end, compression pointers that loop, and stray responses.
function garbageDatagram(i) {
  switch (i % 5) {
    case 0:
      return randomBytes(1 + Math.floor(Math.random() * 512));
    case 1:
      return randomBytes(Math.floor(Math.random() * 12));
    case 2: {
      // A header announcing 3 questions, followed by a label that runs past the end.
      const b = randomBytes(20);
      b.writeUInt16BE(0x0100, 2);
      b.writeUInt16BE(3, 4);
      b[12] = 60;
      return b;
    }
    case 3: {
      // A question whose name is a compression pointer to itself.
      const b = Buffer.alloc(18);
      b.writeUInt16BE(i & 0xffff, 0);
      b.writeUInt16BE(0x0100, 2);
      b.writeUInt16BE(1, 4);
      b.writeUInt16BE(0xc00c, 12);
      b.writeUInt16BE(1, 14);
      b.writeUInt16BE(1, 16);
      return b;
    }
    default: {
      // A well-formed response nobody asked for.
      const b = query(i & 0xffff, benchRecord(1).name);
      b[2] |= 0x80;
      return b;
    }
  }
}

/** Sends garbage datagrams to the DNS port at `rate` a second from `from` until `until` (ms since epoch). */
export async function garbageUdp({ port, from, rate, until, signal }) {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, from, resolve);
  });
  sock.on('error', () => {});
  const start = Date.now();
  const cap = Math.ceil((rate * (until - start)) / 1000);
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= until || signal.aborted || sent >= cap) {
        clearInterval(timer);
        return resolve();
      }
      const due = Math.min(cap, Math.floor(((Date.now() - start) * rate) / 1000));
      while (sent < due) sock.send(garbageDatagram(sent++), port, '127.0.0.1');
    }, 10);
  });
  sock.close();
  return { sent };
}

/**
 * Keeps `perAddress` connections open from each address in `from` until `until`: each one opened, fed by
 * `feed(socket, stopped)` (which trickles or withholds bytes), and opened again 500 ms after the service
 * closes it. At most one opening per slot and 500 ms (a service that refuses at once is retried at that
 * pace for the whole phase). Resolves { opened, closedByPeer, refused, seconds } (seconds it ran).
 */
async function holdConnections({ port, from, perAddress, until, signal, feed }) {
  const stats = { opened: 0, closedByPeer: 0, refused: 0, seconds: 0 };
  const started = Date.now();
  const maxOpens = from.length * perAddress * Math.ceil((until - started) / 500 + 1);
  const sockets = new Set();
  const over = () => Date.now() >= until || signal.aborted || stats.opened >= maxOpens;
  const slot = async (address) => {
    while (!over()) {
      stats.opened++;
      await new Promise((resolve) => {
        const sock = net.connect({ port, host: '127.0.0.1', localAddress: address });
        sockets.add(sock);
        let stopped = false;
        const finish = () => {
          stopped = true;
          sockets.delete(sock);
          resolve();
        };
        sock.on('connect', () => feed(sock, () => stopped || over()));
        sock.on('error', () => stats.refused++);
        sock.on('end', () => stats.closedByPeer++);
        sock.on('close', finish);
        sock.on('data', () => {});
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const ender = setInterval(() => {
    if (!over()) return;
    for (const s of sockets) s.destroy();
  }, 200);
  await Promise.all(from.flatMap((address) => Array.from({ length: perAddress }, () => slot(address))));
  clearInterval(ender);
  stats.seconds = Math.round((Date.now() - started) / 1000);
  return stats;
}

/** Trickles `bytes` one byte every `everyMs` until `stopped()`; the service is expected to close first. */
function trickle(sock, bytes, everyMs, stopped) {
  let i = 0;
  const timer = setInterval(() => {
    if (stopped() || sock.destroyed || i >= bytes.length) return clearInterval(timer);
    sock.write(bytes.subarray(i, ++i));
  }, everyMs);
}

/**
 * Slow DNS over TCP from several addresses: half the connections send a length prefix and then one byte a
 * second of a query that never completes in time, the other half send nothing at all.
 */
export function slowTcp({ port, from, perAddress, until, signal }) {
  let n = 0;
  return holdConnections({
    port,
    from,
    perAddress,
    until,
    signal,
    feed: (sock, stopped) => {
      if (n++ % 2) return;
      const msg = query(n & 0xffff, benchRecord(1).name);
      trickle(sock, Buffer.concat([Buffer.from([0, msg.length]), msg]), 1000, stopped);
    },
  });
}

/**
 * Half-open HTTP from several addresses: headers that never end (one byte every 2 s), a declared body that
 * trickles, and now and then a body over the 64 KiB limit.
 */
export function halfOpenHttp({ port, from, perAddress, until, signal }) {
  let n = 0;
  const host = `Host: 127.0.0.1:${port}\r\n`;
  return holdConnections({
    port,
    from,
    perAddress,
    until,
    signal,
    feed: (sock, stopped) => {
      const kind = n++ % 10;
      if (kind === 9) {
        // 413 expected: 70 KiB sent at once to an RPC that takes at most 64 KiB.
        const body = Buffer.alloc(70 * 1024, 'a');
        sock.write(
          `POST /api/rpc/status:get HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        sock.write(body);
        return;
      }
      if (kind % 2) {
        sock.write(
          `POST /api/rpc/status:get HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`,
        );
        trickle(sock, Buffer.alloc(4096, ' '), 2000, stopped);
        return;
      }
      sock.write(`GET /api/health HTTP/1.1\r\n${host}`);
      trickle(sock, Buffer.from('X-Slow: ' + 'a'.repeat(200)), 2000, stopped);
    },
  });
}

/** Writes zeros to `file` until the file system is full (ENOSPC) or `maxBytes`; resolves the bytes written. */
export async function fillDisk(file, maxBytes) {
  const fh = await open(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(size);
      while (written < maxBytes) {
        try {
          written += (await fh.write(chunk)).bytesWritten;
        } catch (err) {
          if (err.code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return written;
}

/** Frees what fillDisk wrote. */
export const freeDisk = (file) => unlink(file);
