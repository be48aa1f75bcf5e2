/**
 * The import's worker thread, in two roles. With a WorkerJob as workerData it runs runImport (what `npm run
 * import` runs) for the running engine, so reading and parsing a large file never holds the event loop that
 * answers DNS: started by ImportService, it posts WorkerMessage, and the message 'cancel' stops it at the
 * next batch. With a ParseJob (`kind: 'parse'`) it is an import's parse thread (parse-thread.ts), started by
 * runImport itself, in the CLI or in the first role.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveParse, type ParseJob } from './parse-thread';
import { runImport } from './run';
import type { WorkerJob, WorkerMessage } from './service';
import { failureMessage, ImportCancelled } from './types';

const data = workerData as WorkerJob | ParseJob;
const port = parentPort;

if ('kind' in data && data.kind === 'parse') {
  if (port !== null) serveParse(port, data);
} else {
  const job = data as WorkerJob;
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
}
