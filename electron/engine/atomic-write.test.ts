import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dnsw-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('writeFileAtomic', () => {
  it('replaces the file whole with mode 0600 and leaves no temp file', async () => {
    const path = join(dir, 'capture.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    if (process.platform !== 'win32') expect(await mode(path)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['capture.json']);
  });

  it('streams chunks through the sink', async () => {
    const path = join(dir, 'out.csv');
    await writeFileAtomic(path, async (sink) => {
      await sink('a,b\n');
      await sink(new TextEncoder().encode('1,2\n'));
    });
    expect(await readFile(path, 'utf8')).toBe('a,b\n1,2\n');
  });

  it('keeps the old file and no temp file when the writer fails', async () => {
    const path = join(dir, 'out.csv');
    await writeFile(path, 'previous\n');
    await expect(
      writeFileAtomic(path, async (sink) => {
        await sink('partial');
        throw new Error('journal unreadable');
      }),
    ).rejects.toThrow('journal unreadable');
    expect(await readFile(path, 'utf8')).toBe('previous\n');
    expect(await readdir(dir)).toEqual(['out.csv']);
  });
});

describe('writeFileAtomicSync', () => {
  it('replaces the file whole with mode 0600 and leaves no temp file', async () => {
    const path = join(dir, 'window-state.json');
    writeFileAtomicSync(path, 'one');
    writeFileAtomicSync(path, 'twö');
    expect(await readFile(path, 'utf8')).toBe('twö');
    if (process.platform !== 'win32') expect(await mode(path)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['window-state.json']);
  });

  it('throws, leaving nothing behind, when the folder is missing', () => {
    expect(() => writeFileAtomicSync(join(dir, 'missing', 'x.json'), 'x')).toThrow();
  });
});
