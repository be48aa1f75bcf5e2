import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICES_FILE, NameStore, validateName } from './names';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dnsw-names-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('validateName', () => {
  it('trims and keeps Unicode', () => {
    expect(validateName('  Küche – Echo 😀 ')).toBe('Küche – Echo 😀');
    expect(validateName('   ')).toBe('');
  });
  it('allows 64 characters (counted as code points), not 65', () => {
    expect(validateName('😀'.repeat(64))).toBe('😀'.repeat(64));
    expect(() => validateName('x'.repeat(65))).toThrow(/at most 64 characters/);
  });
  it('refuses control characters', () => {
    expect(() => validateName('tv\nroom')).toThrow(/control characters/);
    expect(() => validateName('tv\u0000')).toThrow(/control characters/);
    expect(() => validateName('a\u007fb')).toThrow(/control characters/);
  });
});

describe('NameStore', () => {
  const MAC = '00:1b:21:3c:4d:5e';

  it('persists by MAC and by address across loads, mode 0600', async () => {
    const a = await NameStore.load(join(dir, 'data'), () => undefined);
    await a.set(MAC, '192.168.1.7', 'Desktop');
    await a.set('', '192.168.1.8', 'Printer');
    const b = await NameStore.load(join(dir, 'data'), () => undefined);
    expect(b.nameFor(MAC, '192.168.1.99')).toBe('Desktop');
    expect(b.nameFor('', '192.168.1.8')).toBe('Printer');
    expect(b.nameFor('', '192.168.1.7')).toBe('');
    expect((await stat(join(dir, 'data', DEVICES_FILE))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, 'data', DEVICES_FILE), 'utf8'))).toEqual({
      version: 1,
      byMac: { [MAC]: 'Desktop' },
      byAddress: { '192.168.1.8': 'Printer' },
    });
  });

  it('a name given by MAC replaces the one given by address; "" clears both', async () => {
    const s = await NameStore.load(dir, () => undefined);
    await s.set('', '192.168.1.7', 'old');
    await s.set(MAC, '192.168.1.7', 'new');
    expect(s.nameFor('', '192.168.1.7')).toBe('');
    expect(s.nameFor(MAC, '192.168.1.7')).toBe('new');
    await s.set(MAC, '192.168.1.7', '');
    expect(s.nameFor(MAC, '192.168.1.7')).toBe('');
    expect((await NameStore.load(dir, () => undefined)).nameFor(MAC, '192.168.1.7')).toBe('');
  });

  it('concurrent renames end with the last one on disk', async () => {
    const s = await NameStore.load(dir, () => undefined);
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => s.set(MAC, '192.168.1.7', n)));
    expect((await NameStore.load(dir, () => undefined)).nameFor(MAC, '')).toBe('d');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a corrupt file is reported, kept aside and not overwritten', async () => {
    await writeFile(join(dir, DEVICES_FILE), '{"byMac": {');
    const warnings: string[] = [];
    const s = await NameStore.load(dir, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not valid JSON.*moved to .*devices\.json\.corrupt-\d+/);
    await s.set(MAC, '', 'fresh');
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith(`${DEVICES_FILE}.corrupt-`))!;
    expect(await readFile(join(dir, aside), 'utf8')).toBe('{"byMac": {');
  });

  it('invalid entries in a hand-edited file are dropped, keys normalised', async () => {
    await writeFile(
      join(dir, DEVICES_FILE),
      JSON.stringify({
        version: 1,
        byMac: { '00-1B-21-3C-4D-5E': 'Desktop', 'not a mac': 'x', '02:00:00:00:00:01': 7 },
        byAddress: { '2001:DB8::1': 'NAS', '192.168.1.5': 'bad\nname' },
      }),
    );
    const s = await NameStore.load(dir, () => undefined);
    expect(s.nameFor(MAC, '')).toBe('Desktop');
    expect(s.nameFor('', '2001:db8::1')).toBe('NAS');
    expect(s.nameFor('', '192.168.1.5')).toBe('');
  });

  it('a failed write rejects, and later writes still run', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    const s = await NameStore.load(file, () => undefined);
    await expect(s.set(MAC, '', 'x')).rejects.toThrow();
    await expect(s.flush()).resolves.toBeUndefined();
  });
});
