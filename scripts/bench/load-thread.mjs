// The good load of a latency phase (soak-traffic.mjs goodLoad) on a thread of its own. The history cases
// download API answers of hundreds of MB on the bench's event loop meanwhile (a whole-history CSV, an
// evidence bundle): a DNS answer that arrived while that loop parsed a chunk of them would be timed late,
// charging the bench's own work to the server it measures.
import { once } from 'node:events';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { goodLoad } from './soak-traffic.mjs';

const KIND = 'dnsw-bench-good-load';

if (!isMainThread && workerData?.kind === KIND) {
  const load = await goodLoad({ ...workerData.opts, intervalOf: () => 0 });
  parentPort.once('message', async () => {
    await load.stop();
    parentPort.postMessage({ type: 'stopped', bucket: load.intervals.get(0) ?? null, late: load.late });
  });
  parentPort.postMessage({ type: 'started' });
}

/** What goodLoad books into one interval, when nothing was sent. */
const EMPTY = { sent: 0, noerror: 0, servfail: 0, other: 0, lost: 0, latencies: [] };

/**
 * Starts goodLoad({ port, rate, names, maxQueries }) on a worker thread, every query booked into one
 * interval. Resolves with { stop(): Promise<{ sent, noerror, servfail, other, lost, latencies }> } once it
 * sends; stop() waits out the last timeouts as goodLoad's does.
 */
export async function goodLoadThread(opts) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { kind: KIND, opts } });
  const failed = once(worker, 'error').then(([err]) => {
    throw new Error(`the load thread failed: ${err?.message ?? err}`);
  });
  const message = (type) =>
    Promise.race([
      new Promise((resolve) => {
        const on = (m) => {
          if (m?.type !== type) return;
          worker.off('message', on);
          resolve(m);
        };
        worker.on('message', on);
      }),
      failed,
    ]);
  await message('started');
  return {
    async stop() {
      worker.postMessage('stop');
      const m = await message('stopped');
      await worker.terminate();
      return m.bucket ?? EMPTY;
    },
  };
}
