import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTERS_FILE, RouterSetting } from './router-setting';

let dir = '';
const warnings: string[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'dnsw-routers-'));
  warnings.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = () => RouterSetting.load(dir, (m) => warnings.push(m));

describe('RouterSetting', () => {
  it('starts empty, saves canonical addresses without duplicates, and reads them back', async () => {
    const first = await load();
    expect(first.routers).toEqual([]);
    await first.save(['192.168.0.1', '2001:DB8::0:1', '192.168.0.1', '::ffff:10.0.0.1']);
    expect(first.routers).toEqual(['192.168.0.1', '2001:db8::1', '10.0.0.1']);
    const text = await readFile(join(dir, ROUTERS_FILE), 'utf8');
    expect(JSON.parse(text)).toEqual({ version: 1, routers: ['192.168.0.1', '2001:db8::1', '10.0.0.1'] });
    expect((await stat(join(dir, ROUTERS_FILE))).mode & 0o777).toBe(0o600);
    expect((await load()).routers).toEqual(['192.168.0.1', '2001:db8::1', '10.0.0.1']);
    expect(warnings).toEqual([]);
  });

  it('refuses a non-address and keeps the previous list', async () => {
    const s = await load();
    await s.save(['192.168.0.1']);
    await expect(s.save(['192.168.0.2', 'router.lan'])).rejects.toThrow(
      'not an IP address for the router: "router.lan"',
    );
    expect(s.routers).toEqual(['192.168.0.1']);
    expect((await load()).routers).toEqual(['192.168.0.1']);
  });

  it('the last of several quick saves wins on disk', async () => {
    const s = await load();
    await Promise.all([s.save(['10.0.0.1']), s.save(['10.0.0.2']), s.save([])]);
    await s.flush();
    expect((await load()).routers).toEqual([]);
  });

  it('moves a corrupt file aside with a warning and starts empty; drops entries that are not addresses', async () => {
    await writeFile(join(dir, ROUTERS_FILE), '{"routers": [');
    expect((await load()).routers).toEqual([]);
    expect(warnings[0]).toMatch(/is not valid .*moved to .*routers\.json\.corrupt-\d+/);
    expect((await readdir(dir)).some((f) => f.startsWith(`${ROUTERS_FILE}.corrupt-`))).toBe(true);
    await writeFile(join(dir, ROUTERS_FILE), '{"version":1,"routers":["192.168.0.1", 7, "nope"]}');
    expect((await load()).routers).toEqual(['192.168.0.1']);
  });
});
