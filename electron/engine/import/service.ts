import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImportFormat, PartialImport } from '@shared/events';
import { partialSentence, type ImportProgress } from '@shared/import';
import type { ImportProgress as RunProgress } from './run';

/** What the worker is asked to import (plain data: it crosses to the worker thread). */
export interface WorkerJob {
  readonly path: string;
  readonly fileName: string;
  readonly format: ImportFormat | 'auto';
  readonly dataDir: string;
  readonly name: string;
  readonly keepPartial: boolean;
}

/** What the worker posts back. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: RunProgress }
  | {
      readonly type: 'done';
      readonly captureId: string;
      readonly queries: number;
      readonly skipped: number;
      readonly partial: false | PartialImport;
      readonly notes: string[];
    }
  | { readonly type: 'failed'; readonly cancelled: boolean; readonly message: string };

/** One import the dashboard asked for. */
export interface ImportJob {
  readonly id: string;
  /** The file to read: one the user chose, or an upload in uploadPath(id). */
  readonly path: string;
  /** Its name as the user knows it (the provenance keeps this one). */
  readonly fileName: string;
  readonly format: ImportFormat | 'auto';
  readonly name: string;
  readonly routers: readonly string[];
  readonly keepPartial: boolean;
  /** True for an upload: the file is removed when the import ends, however it ends. */
  readonly temporary: boolean;
}

export interface ImportServiceDeps {
  readonly dataDir: () => string;
  /** Has the store adopt the new capture now (the folder watcher may be slower, or missing). */
  readonly adopt: () => Promise<void>;
  /** Adds addresses to the saved routers. */
  readonly addRouters: (addresses: readonly string[]) => Promise<void>;
  readonly emit: (progress: ImportProgress) => void;
  readonly now?: () => number;
  /** The built worker script; default: import-worker.js beside the bundle. */
  readonly workerPath?: string;
}

/** Imports running at once; more would only share the same disk and cores. */
export const MAX_IMPORTS = 2;
/** Folder of the data folder that uploads are streamed into before they are imported. */
export const UPLOAD_DIR = 'uploads';
/** An upload left this long belongs to a service that was stopped while importing it. */
const ABANDONED_MS = 86_400_000;

/**
 * The built worker (electron.vite.config.ts: entry `import-worker`) sits in out/main beside the entry that
 * loaded this module, or one folder up when this module was bundled into out/main/chunks.
 */
export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'import-worker.js'), join(here, '..', 'import-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

interface Running {
  readonly job: ImportJob;
  readonly worker: Worker;
  last: ImportProgress;
  cancelled: boolean;
}

/**
 * Runs the dashboard's imports in worker threads (worker.ts runs what `npm run import` runs), so a large
 * file never delays a DNS answer; reports their progress, cancels them, and has the store adopt each new
 * capture before saying it is done.
 */
export class ImportService {
  private readonly running = new Map<string, Running>();
  private readonly uploads = new Set<string>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly deps: ImportServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Where an upload with this id is streamed to (the folder exists once this resolves). */
  async uploadPath(id: string): Promise<string> {
    const dir = join(this.deps.dataDir(), UPLOAD_DIR);
    await mkdir(dir, { recursive: true });
    await removeAbandoned(dir, this.now());
    return join(dir, `${id}.part`);
  }

  /** Whether an import or upload with `id` is under way (ids are the caller's, and must be new). */
  busy(id: string): boolean {
    return this.running.has(id) || this.uploads.has(id);
  }

  /** Null when another import may start now; else why not, in one line. */
  refusal(id: string): string | null {
    if (this.closed) return 'the service is stopping';
    if (this.busy(id)) return `an import with the id ${id} is under way already`;
    if (this.running.size + this.uploads.size >= MAX_IMPORTS)
      return `${MAX_IMPORTS} imports are running already; wait for one to finish`;
    return null;
  }

  /** Holds a slot for an upload while it arrives; the returned function gives it back. */
  reserveUpload(id: string): () => void {
    this.uploads.add(id);
    return () => this.uploads.delete(id);
  }

  /** Starts `job` in a worker. Throws an Error with the reason when it cannot start (too many, a reused id). */
  start(job: ImportJob): void {
    this.uploads.delete(job.id);
    const refused = this.refusal(job.id);
    if (refused !== null) {
      if (job.temporary) void rm(job.path, { force: true });
      throw new Error(refused);
    }
    const started = this.now();
    const workerJob: WorkerJob = {
      path: job.path,
      fileName: job.fileName,
      format: job.format,
      dataDir: this.deps.dataDir(),
      name: job.name,
      keepPartial: job.keepPartial,
    };
    const worker = new Worker(this.deps.workerPath ?? defaultWorkerPath(), { workerData: workerJob });
    const run: Running = {
      job,
      worker,
      cancelled: false,
      last: {
        id: job.id,
        state: 'running',
        file: job.fileName,
        bytes: 0,
        totalBytes: 0,
        queries: 0,
        skipped: 0,
        rate: 0,
        message: '',
        captureId: '',
        partial: false,
      },
    };
    this.running.set(job.id, run);
    this.deps.emit(run.last);
    let ended = false;
    // The worker exits by itself once it posted 'done'; the capture is adopted after that.
    let finishing = false;
    const end = (progress: Partial<ImportProgress>): void => {
      if (ended) return;
      ended = true;
      void worker.terminate();
      // The upload is gone before anyone hears the import ended.
      void (job.temporary ? rm(job.path, { force: true }).catch(() => undefined) : Promise.resolve()).then(
        () => {
          this.running.delete(job.id);
          this.deps.emit({ ...run.last, ...progress });
        },
      );
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        const p = m.progress;
        run.last = {
          ...run.last,
          bytes: p.bytes,
          totalBytes: p.totalBytes,
          queries: p.rows,
          skipped: p.skipped,
          rate: p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0,
        };
        this.deps.emit(run.last);
      } else if (m.type === 'done') {
        finishing = true;
        void this.finish(job, m).then((message) =>
          end({
            state: 'done',
            bytes: run.last.totalBytes,
            queries: m.queries,
            skipped: m.skipped,
            captureId: m.captureId,
            partial: m.partial,
            rate: Math.round((m.queries * 1000) / Math.max(1, this.now() - started)),
            message,
          }),
        );
      } else {
        end({ state: m.cancelled || run.cancelled ? 'cancelled' : 'failed', message: m.message });
      }
    });
    worker.on('error', (err) => end({ state: 'failed', message: `cannot import: ${err.message}` }));
    worker.on('exit', () => {
      if (finishing) return;
      end(
        run.cancelled
          ? { state: 'cancelled', message: 'cancelled; nothing was imported' }
          : { state: 'failed', message: 'cannot import: the import stopped unexpectedly' },
      );
    });
  }

  /** Asks the import `id` to stop; it then reports 'cancelled' and leaves nothing. False when none runs. */
  cancel(id: string): boolean {
    const run = this.running.get(id);
    if (!run) return false;
    run.cancelled = true;
    run.worker.postMessage('cancel');
    return true;
  }

  /** Cancels every import and waits for the workers to stop. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.running.values()];
    for (const r of runs) this.cancel(r.job.id);
    await Promise.all(
      runs.map((r) => new Promise<void>((resolve) => r.worker.once('exit', () => resolve()))),
    );
  }

  /** Adopts the new capture, saves the routers; the 'done' message (partial import, notes). */
  private async finish(job: ImportJob, m: Extract<WorkerMessage, { type: 'done' }>): Promise<string> {
    const notes = [...m.notes];
    await this.deps.adopt().catch((err: Error) => notes.push(`not shown yet: ${err.message}`));
    if (job.routers.length > 0)
      await this.deps
        .addRouters(job.routers)
        .catch((err: Error) => notes.push(`the router was not saved: ${err.message}`));
    if (m.partial !== false) notes.unshift(partialSentence(m.partial));
    return notes.join('; ');
  }
}

async function removeAbandoned(dir: string, now: number): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => null);
    if (s !== null && now - s.mtimeMs >= ABANDONED_MS) await rm(path, { force: true }).catch(() => undefined);
  }
}
