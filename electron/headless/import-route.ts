import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { importRequestSchema, type ImportRequest } from '@shared/import';
import type { EngineHandle } from '../engine/types';
import type { ImportService } from '../engine/import/service';

/** The engine's side of an upload: where it goes, whether one may start, and the import that follows. */
export type UploadEngine = Pick<EngineHandle, 'startImport'> & {
  readonly importUploads: Pick<ImportService, 'uploadPath' | 'refusal' | 'reserveUpload'>;
};

/** An upload may pause this long (a busy network) before it counts as abandoned. */
export const UPLOAD_IDLE_MS = 60_000;
/**
 * Refused uploads are read (and dropped) up to this much beyond the cap, so the 413 reaches the client instead
 * of a reset; past it the connection is closed.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;

type Send = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers?: http.OutgoingHttpHeaders,
) => void;

/** The upload's parameters → the import's choices and the file's name; throws a readable Error. */
export function parseImportParams(params: URLSearchParams): { request: ImportRequest; fileName: string } {
  const raw: Record<string, unknown> = { id: params.get('id') ?? '', routers: params.getAll('router') };
  for (const key of ['format', 'name'] as const) {
    const v = params.get(key);
    if (v !== null && v !== '') raw[key] = v;
  }
  const keep = params.get('keepPartial');
  if (keep !== null && keep !== '') {
    if (!/^(1|0|true|false)$/.test(keep)) throw new Error(`keepPartial: not 1, 0, true or false: ${keep}`);
    raw.keepPartial = keep === '1' || keep === 'true';
  }
  const r = importRequestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'import'}: ${issue?.message ?? 'invalid'}`);
  }
  // Only a name for the provenance and the messages: never a path on this computer.
  const fileName = (params.get('file') ?? '').split(/[\\/]/).pop()!.trim().slice(0, 255) || 'upload';
  if (/[\u0000-\u001f]/.test(fileName)) throw new Error('file: a name without control characters');
  return { request: r.data, fileName };
}

/**
 * POST IMPORT_PATH: streams the body to a file in the data folder (never held in memory), at most
 * `maxBytes` (413 beyond, by Content-Length or by what arrived), then starts the import in a worker. A client
 * that goes away or stalls for UPLOAD_IDLE_MS leaves nothing behind. The caller has checked Host, origin,
 * token and budget like for every /api/ request; the body's own deadline is the caller's `keepAlive`.
 */
export async function handleImportUpload(
  engine: UploadEngine,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  maxBytes: number,
  send: Send,
): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, { error: 'use POST' }, { allow: 'POST' });
  const refuseBody = (status: number, error: string): void => {
    send(res, status, { error }, { connection: 'close' });
    // Read what the client is still sending (up to a bound), so it sees the answer rather than a reset.
    let drained = 0;
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > DRAIN_BYTES) req.destroy();
    });
    req.resume();
  };
  let parsed;
  try {
    parsed = parseImportParams(url.searchParams);
  } catch (err) {
    return refuseBody(400, (err as Error).message);
  }
  const { request, fileName } = parsed;
  const tooLarge = `the file is larger than this service accepts (${formatMiB(maxBytes)}; serve --max-upload-mb raises it), or import it with npm run import`;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return refuseBody(413, tooLarge);
  const refusal = engine.importUploads.refusal(request.id);
  if (refusal !== null) return refuseBody(429, refusal);
  const release = engine.importUploads.reserveUpload(request.id);
  let path: string;
  try {
    path = await engine.importUploads.uploadPath(request.id);
  } catch (err) {
    release();
    return refuseBody(500, `cannot store the upload: ${(err as Error).message}`);
  }
  let size = 0;
  let over = false;
  let idle: NodeJS.Timeout | null = null;
  const stall = (): void => {
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(() => req.destroy(new Error('the upload stalled')), UPLOAD_IDLE_MS);
  };
  stall();
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      stall();
      if (size <= maxBytes) return done(null, chunk);
      over = true;
      // Dropped: the file is removed below and the client gets 413 once it stops sending.
      if (size > maxBytes + DRAIN_BYTES) return done(new Error(tooLarge));
      done();
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    release();
    await rm(path, { force: true });
    // The client went away (cancelled), sent far too much, or the disk refused: nothing is kept.
    if (!res.destroyed && !res.headersSent)
      send(res, over ? 413 : 500, { error: over ? tooLarge : `upload failed: ${(err as Error).message}` });
    return;
  } finally {
    if (idle !== null) clearTimeout(idle);
  }
  if (over) {
    release();
    await rm(path, { force: true });
    return send(res, 413, { error: tooLarge }, { connection: 'close' });
  }
  try {
    engine.startImport({ ...request, path, fileName, temporary: true });
  } catch (err) {
    // start() removed the file.
    return send(res, 429, { error: (err as Error).message });
  } finally {
    release();
  }
  send(res, 202, { result: { id: request.id } });
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024)).toLocaleString('en-US')} MiB`;
}
