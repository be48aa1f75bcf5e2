/**
 * The import's worker thread: runs runImport (what `npm run import` runs) for the running engine, so reading
 * and parsing a large file never holds the event loop that answers DNS. Started by ImportService with the
 * job as workerData; posts WorkerMessage; the message 'cancel' stops it at the next batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runImport } from './run';
import type { WorkerJob, WorkerMessage } from './service';
import { failureMessage, ImportCancelled } from './types';

const job = workerData as WorkerJob;
const port = parentPort;
const abort = new AbortController();
const post = (message: WorkerMessage): void => port?.postMessage(message);
port?.on('message', (m) => {
  if (m === 'cancel') abort.abort();
});

runImport({
  files: [job.path],
  names: [job.fileName],
  format: job.format,
  dataDir: job.dataDir,
  name: job.name,
  keepPartial: job.keepPartial,
  signal: abort.signal,
  onProgress: (progress) => post({ type: 'progress', progress }),
}).then(
  (r) =>
    post({
      type: 'done',
      captureId: r.captureId,
      queries: r.queries,
      skipped: r.skipped,
      partial: r.source.partial,
      notes: [...r.notes],
    }),
  (err: unknown) =>
    post({ type: 'failed', cancelled: err instanceof ImportCancelled, message: failureMessage(err) }),
);
