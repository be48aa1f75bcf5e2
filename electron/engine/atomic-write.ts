/**
 * The one way DNS Witness replaces a file: write a temporary file in the same folder (owner-only, 0600;
 * Windows ignores the mode), fsync it, rename it over the target. Readers see the old or the new content,
 * never a mix, and a failed write leaves the old file and no temporary file behind.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const ATOMIC_FILE_MODE = 0o600;

/** Appends one chunk to the file being written. */
export type AtomicSink = (chunk: string | Uint8Array) => Promise<void>;

/** A hidden name next to `path` that no other writer uses. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces `path` with `content`, or with what `content(sink)` writes through the sink (streamed exports).
 * Rejects on I/O errors (and with whatever `content` throws), after removing the temporary file.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array | ((sink: AtomicSink) => Promise<unknown>),
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    // 'wx': never write into a file that someone else created under the temporary name.
    const fh = await open(tmp, 'wx', ATOMIC_FILE_MODE);
    try {
      if (typeof content === 'function') await content((chunk) => fh.writeFile(chunk));
      else await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** writeFileAtomic for the callers that cannot wait: starting a capture, saving the window as it closes. */
export function writeFileAtomicSync(path: string, content: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx', ATOMIC_FILE_MODE);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
