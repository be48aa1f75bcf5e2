// Marker queries: one uniquely named A query at a time from our own UDP socket, so the send time is known
// to the sub-millisecond on the same clock the page uses (performance.timeOrigin + performance.now()).
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import dnsPacket from 'dns-packet';

/** Marker names: `mk<seq>-<send ms>.bench.test`; dnsperf's names (`n0001.bench.test`) never match. */
export const MARKER_RE = '^mk\\d+-\\d+\\.bench\\.test$';
/** Substring that the engine's name filter matches in every marker and in no other query of the bench. */
export const MARKER_PREFIX = 'mk';

/** The name of marker number `seq`, stamped with the current time so every run's names differ. */
export const markerName = (seq) => `${MARKER_PREFIX}${seq}-${Math.round(preciseNow())}.bench.test`;

/** Epoch milliseconds with sub-millisecond resolution, comparable with the page's clock. */
export const preciseNow = () => performance.timeOrigin + performance.now();

/**
 * Opens a UDP socket on `source` (a 127.0.0.0/8 address) that sends A queries to 127.0.0.1:`port`.
 * Returns { send(name) → { name, sentAt }, answered(name) → boolean, close() }.
 */
export async function openQuerySender({ source, port }) {
  const sock = dgram.createSocket('udp4');
  const pending = new Map();
  const answered = new Set();
  sock.on('message', (msg) => {
    try {
      const pkt = dnsPacket.decode(msg);
      const name = pending.get(pkt.id);
      if (name !== undefined && pkt.rcode === 'NOERROR') answered.add(name);
      pending.delete(pkt.id);
    } catch {
      // A reply we cannot decode simply leaves its marker unanswered.
    }
  });
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, source, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => {});
  let id = 0;
  return {
    send(name) {
      id = (id + 1) & 0xffff;
      // Ids wrap after 65,536 markers; a run sends a few thousand at most, so no two in flight share one.
      pending.set(id, name);
      const packet = dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ type: 'A', name }],
      });
      const sentAt = preciseNow();
      sock.send(packet, port, '127.0.0.1');
      return { name, sentAt };
    },
    answered: (name) => answered.has(name),
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}
