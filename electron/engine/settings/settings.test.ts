import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../headless/args';
import { defaultEngineOptions, type EngineOptions } from '../options';
import { applySettings, valuesOf } from './resolve';
import { parseSettings, SETTINGS_FILE, SettingsStore } from './settings-store';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dnsw-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function served(argv: string[]): EngineOptions {
  const parsed = parseServeArgs(argv);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options.engine;
}

describe('precedence: command line > settings file > defaults', () => {
  const saved = {
    listen: ['192.168.0.23:53'],
    upstreams: ['9.9.9.9:53'],
    allow: ['203.0.113.0/24'],
    retentionDays: 7,
    dataDir: '/srv/dns-witness',
  };

  it('the saved values fill what no flag set', () => {
    const options = applySettings(served(['--router', '192.168.0.1']), saved, '/start');
    expect(valuesOf(options)).toEqual({ ...saved, dataDir: '/srv/dns-witness' });
    expect(options.routers).toEqual(['192.168.0.1']);
  });

  it('a flag wins over its saved value, field by field', () => {
    const options = applySettings(
      served(['--listen', '127.0.0.1:5353', '--retention-days', '3', '--data-dir', '/tmp/d']),
      saved,
      '/tmp/d',
    );
    expect(valuesOf(options)).toEqual({
      listen: ['127.0.0.1:5353'],
      upstreams: ['9.9.9.9:53'],
      allow: ['203.0.113.0/24'],
      retentionDays: 3,
      dataDir: '/tmp/d',
    });
    // --allow given (even once) replaces the saved ranges.
    expect(applySettings(served(['--allow', '198.51.100.0/24']), saved, '/s').allow).toEqual([
      '198.51.100.0/24',
    ]);
  });

  it('nothing saved, or an empty list saved, means the defaults', () => {
    const flags = served([]);
    expect(applySettings(flags, {}, '/start')).toEqual(flags);
    const emptied = applySettings(flags, { listen: [], upstreams: [], dataDir: '' }, '/start');
    expect(emptied.upstreams).toEqual(defaultEngineOptions().upstreams);
    expect(emptied.listen).toEqual(defaultEngineOptions().listen);
    expect(emptied.dataDir).toBe('/start');
  });

  it('options given without saying which came from flags are used exactly as given', () => {
    const exact = defaultEngineOptions({ listen: [{ host: '127.0.0.1', port: 0 }], dataDir: dir });
    expect(applySettings(exact, saved, dir)).toEqual(exact);
  });
});

describe('settings file', () => {
  it('is written atomically with the progress, and read back', async () => {
    const store = await SettingsStore.load(dir, () => undefined);
    expect(store.saved).toBe(false);
    await store.save({
      values: { listen: [], upstreams: ['9.9.9.9:53'], allow: [], retentionDays: 14, dataDir: '' },
    });
    await store.save({
      progress: { ...store.settings.progress, brand: 'tplink-deco', wanChanged: true, done: true },
    });
    const text = await readFile(join(dir, SETTINGS_FILE), 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      version: 1,
      retentionDays: 14,
      setup: { brand: 'tplink-deco' },
    });
    const again = await SettingsStore.load(dir, () => undefined);
    expect(again.saved).toBe(true);
    expect(again.settings.values.upstreams).toEqual(['9.9.9.9:53']);
    expect(again.settings.progress).toMatchObject({ wanChanged: true, done: true });
  });

  it('keeps the colour theme beside the other settings, writing nothing for the default', async () => {
    const store = await SettingsStore.load(dir, () => undefined);
    expect(store.settings.theme).toBe('system');
    await store.save({ progress: { ...store.settings.progress, done: true } });
    expect(JSON.parse(await readFile(join(dir, SETTINGS_FILE), 'utf8'))).not.toHaveProperty('theme');
    await store.save({ theme: 'dark' });
    await store.save({ values: { listen: [], upstreams: [], allow: [], retentionDays: 9, dataDir: '' } });
    expect(JSON.parse(await readFile(join(dir, SETTINGS_FILE), 'utf8'))).toMatchObject({
      theme: 'dark',
      retentionDays: 9,
      setup: { done: true },
    });
    const again = await SettingsStore.load(dir, () => undefined);
    expect(again.settings.theme).toBe('dark');
    expect(again.settings.progress.done).toBe(true);
    const warnings: string[] = [];
    expect(parseSettings('{"version":1,"theme":"sepia","retentionDays":3}', (m) => warnings.push(m))).toEqual(
      {
        values: { retentionDays: 3 },
        progress: expect.objectContaining({ done: false }),
        theme: 'system',
      },
    );
    expect(warnings).toEqual(['settings: theme ignored: "sepia" is not system, light or dark']);
  });

  it('drops a hand-edited bad value with a warning and keeps the others', () => {
    const warnings: string[] = [];
    const s = parseSettings(
      JSON.stringify({ version: 1, listen: ['192.168.0.23'], upstreams: ['not-an-ip'], retentionDays: -4 }),
      (m) => warnings.push(m),
    );
    expect(s.values).toEqual({ listen: ['192.168.0.23:53'] });
    expect(warnings).toEqual([
      'settings: upstreams ignored: “not-an-ip” is not a resolver address with an optional port, e.g. 9.9.9.9 or 127.0.0.1:5353.',
      'settings: retentionDays ignored: Enter whole days from 0 (keep forever) to 36500.',
    ]);
  });

  it('moves a corrupt file aside and starts from the defaults', async () => {
    await writeFile(join(dir, SETTINGS_FILE), '{"version": 1, "listen": [');
    const warnings: string[] = [];
    const store = await SettingsStore.load(dir, (m) => warnings.push(m));
    expect(store.saved).toBe(false);
    expect(store.settings.values).toEqual({});
    expect(warnings[0]).toMatch(/settings in .* are not valid .*moved to .*settings\.json\.corrupt-/);
    expect((await readdir(dir)).some((f) => f.startsWith(`${SETTINGS_FILE}.corrupt-`))).toBe(true);
  });
});
