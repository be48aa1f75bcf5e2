import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  enlargeReceiveBuffer,
  kernelReceiveLimit,
  receiveBufferNote,
  receiveBufferNotes,
  UDP_RECEIVE_BUFFER,
} from './receive-buffer';

describe('receiveBufferNote', () => {
  it('states the size when the kernel allows it', () => {
    const r = receiveBufferNote(4 << 20, 8 << 20, 4 << 20);
    expect(r.limited).toBe(false);
    expect(r.note).toBe('UDP receive buffer 4 MiB (the kernel reports 8 MiB)');
  });

  it('names the limit and how to raise it when net.core.rmem_max is lower', () => {
    const r = receiveBufferNote(4 << 20, 425_984, 212_992);
    expect(r.limited).toBe(true);
    expect(r.note).toContain('only 208 KiB');
    expect(r.note).toContain('net.core.rmem_max');
    expect(r.note).toContain('sysctl -w net.core.rmem_max=4194304');
  });

  it('judges by the granted size where there is no limit to read', () => {
    expect(receiveBufferNote(4 << 20, 1 << 20, null).limited).toBe(true);
    expect(receiveBufferNote(4 << 20, 4 << 20, null).limited).toBe(false);
  });
});

describe('kernelReceiveLimit', () => {
  it('reads a number, and null for a missing or odd file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmem-'));
    writeFileSync(join(dir, 'ok'), '212992\n');
    writeFileSync(join(dir, 'odd'), 'lots\n');
    expect(kernelReceiveLimit(join(dir, 'ok'))).toBe(212_992);
    expect(kernelReceiveLimit(join(dir, 'odd'))).toBeNull();
    expect(kernelReceiveLimit(join(dir, 'missing'))).toBeNull();
  });
});

describe('enlargeReceiveBuffer', () => {
  const sockets: dgram.Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  it('gives a bound socket the larger buffer, as far as the kernel allows', async () => {
    const socket = dgram.createSocket('udp4');
    sockets.push(socket);
    const before = await new Promise<number>((resolve) =>
      socket.bind(0, '127.0.0.1', () => resolve(socket.getRecvBufferSize())),
    );
    const limit = kernelReceiveLimit();
    const r = enlargeReceiveBuffer(socket, limit);
    const after = socket.getRecvBufferSize();
    // Linux reports twice what was set (half of it is bookkeeping), capped at twice net.core.rmem_max.
    const expected = limit === null ? UDP_RECEIVE_BUFFER : 2 * Math.min(limit, UDP_RECEIVE_BUFFER);
    if (limit !== null) expect(after).toBe(Math.max(before, expected));
    else expect(after).toBeGreaterThanOrEqual(before);
    expect(r.limited).toBe(limit !== null && limit < UDP_RECEIVE_BUFFER);
  });

  it('says so instead of throwing for a socket that is not bound', () => {
    const socket = dgram.createSocket('udp4');
    sockets.push(socket);
    const r = enlargeReceiveBuffer(socket, 1 << 30);
    expect(r.limited).toBe(true);
    expect(r.note).toContain("left at the kernel's default");
  });
});

describe('receiveBufferNotes', () => {
  it('says each note of the bound listeners once', () => {
    const udp = {
      address: '127.0.0.1',
      port: 53,
      transport: 'udp' as const,
      state: 'listening' as const,
      error: '',
      receiveBuffer: receiveBufferNote(4 << 20, 8 << 20, 4 << 20),
    };
    const notes = receiveBufferNotes([
      udp,
      { ...udp, address: '192.168.0.23' },
      { ...udp, transport: 'tcp', receiveBuffer: undefined },
      { ...udp, state: 'error', receiveBuffer: receiveBufferNote(4 << 20, 1 << 20, 1 << 20) },
    ]);
    expect(notes).toEqual([udp.receiveBuffer]);
  });
});
