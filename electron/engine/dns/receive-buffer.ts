import { readFileSync } from 'node:fs';
import type { Socket } from 'node:dgram';
import type { ListenerStatus, ReceiveBuffer } from '@shared/events';

/**
 * What each UDP listener asks the kernel to buffer. The default (net.core.rmem_default, 208 KiB on Linux)
 * holds a few hundred datagrams: a few tenths of a second at a busy household's rate, so a short stall of
 * the event loop (a major GC, a busy machine) was enough for the kernel to drop queries unread. 4 MiB holds
 * several seconds of them.
 */
export const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

const RMEM_MAX = '/proc/sys/net/core/rmem_max';

/** Linux's ceiling for a socket's receive buffer (net.core.rmem_max); null where there is none to read. */
export function kernelReceiveLimit(path = RMEM_MAX): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function size(n: number): string {
  return n >= 1 << 20 ? `${+(n / (1 << 20)).toFixed(1)} MiB` : `${Math.max(1, Math.round(n / 1024))} KiB`;
}

/**
 * One line about the receive buffer a listener got: the size granted, or, when the kernel's limit is below
 * what was asked, that limit and how to raise it. `granted` is what the socket reports (Linux reports twice
 * the size set, the other half being its bookkeeping); `limit` is net.core.rmem_max, null elsewhere.
 */
export function receiveBufferNote(asked: number, granted: number, limit: number | null): ReceiveBuffer {
  const limited = limit !== null ? limit < asked : granted < asked;
  if (!limited)
    return { limited, note: `UDP receive buffer ${size(asked)} (the kernel reports ${size(granted)})` };
  const allowed = limit ?? granted;
  const note =
    `UDP receive buffer only ${size(allowed)}, the kernel's limit (net.core.rmem_max), not the ${size(asked)} asked for: ` +
    `queries that arrive while DNS Witness is busy can be dropped by the kernel; raise the limit with ` +
    `"sysctl -w net.core.rmem_max=${asked}" (and in /etc/sysctl.d/ to keep it)`;
  return { limited, note };
}

/**
 * Asks for UDP_RECEIVE_BUFFER on a bound socket and says what it got. Never throws: a socket that refuses
 * keeps the kernel's default, and the note says so.
 */
export function enlargeReceiveBuffer(socket: Socket, limit = kernelReceiveLimit()): ReceiveBuffer {
  try {
    socket.setRecvBufferSize(UDP_RECEIVE_BUFFER);
  } catch (err) {
    return {
      limited: true,
      note: `UDP receive buffer left at the kernel's default: ${(err as Error).message}`,
    };
  }
  let granted = UDP_RECEIVE_BUFFER;
  try {
    granted = socket.getRecvBufferSize();
  } catch {
    // The size was set; only the report is missing.
  }
  return receiveBufferNote(UDP_RECEIVE_BUFFER, granted, limit);
}

/** The receive-buffer lines of the bound listeners, each said once (every UDP listener asks for the same). */
export function receiveBufferNotes(listeners: readonly ListenerStatus[]): ReceiveBuffer[] {
  const notes = new Map<string, ReceiveBuffer>();
  for (const l of listeners)
    if (l.state === 'listening' && l.receiveBuffer) notes.set(l.receiveBuffer.note, l.receiveBuffer);
  return [...notes.values()];
}
