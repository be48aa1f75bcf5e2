import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_PLACEMENT,
  isOnVisibleDisplay,
  loadPlacement,
  MIN_HEIGHT,
  MIN_WIDTH,
  savePlacement,
} from './window-state';

const primary = { x: 0, y: 0, width: 1920, height: 1040 };
const secondary = { x: 1920, y: 0, width: 2560, height: 1400 };

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dns-witness-window-'));
  file = join(dir, 'window-state.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('window placement store', () => {
  it('round-trips position, size and maximised state', async () => {
    savePlacement(file, { x: 200, y: 120, width: 1400, height: 900 }, true);
    expect(loadPlacement(file, [primary], primary)).toEqual({
      x: 200,
      y: 120,
      width: 1400,
      height: 900,
      maximized: true,
    });
    expect(await readdir(dir)).toEqual(['window-state.json']);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps a position on a second display while that display is attached', () => {
    savePlacement(file, { x: 2500, y: 300, width: 1200, height: 800 }, false);
    expect(loadPlacement(file, [primary, secondary], primary)).toMatchObject({ x: 2500, y: 300 });
  });

  it('drops the position (keeping a fitting size) when the display it was on is gone', () => {
    savePlacement(file, { x: 2500, y: 300, width: 2400, height: 1300 }, false);
    const placement = loadPlacement(file, [primary], primary);
    expect(placement.x).toBeUndefined();
    expect(placement.y).toBeUndefined();
    expect(placement).toMatchObject({ width: primary.width, height: primary.height, maximized: false });
  });

  it('rejects positions whose title bar is off-screen or barely visible', () => {
    const off = [
      { x: -5000, y: 100, width: 1200, height: 800 },
      { x: 100, y: -400, width: 1200, height: 800 },
      { x: 100, y: 1030, width: 1200, height: 800 },
      { x: 1850, y: 100, width: 1200, height: 800 },
    ];
    for (const bounds of off) {
      expect(isOnVisibleDisplay(bounds, [primary]), JSON.stringify(bounds)).toBe(false);
      savePlacement(file, bounds, false);
      expect(loadPlacement(file, [primary], primary).x).toBeUndefined();
    }
    expect(isOnVisibleDisplay({ x: 1700, y: 0, width: 1200, height: 800 }, [primary])).toBe(true);
  });

  it('falls back to the default for a missing or corrupt file and enforces the minimum size', async () => {
    expect(loadPlacement(file, [primary], primary)).toEqual(DEFAULT_PLACEMENT);
    await writeFile(file, '{"x": 1, "y":');
    expect(loadPlacement(file, [primary], primary)).toEqual(DEFAULT_PLACEMENT);
    await writeFile(file, JSON.stringify({ x: 10, y: 10, width: 'wide', height: 500 }));
    expect(loadPlacement(file, [primary], primary)).toEqual(DEFAULT_PLACEMENT);
    await writeFile(file, JSON.stringify({ x: 10, y: 10, width: 50, height: 20 }));
    expect(loadPlacement(file, [primary], primary)).toMatchObject({
      x: 10,
      y: 10,
      width: MIN_WIDTH,
      height: MIN_HEIGHT,
    });
  });

  it('does not throw when the folder cannot be written', () => {
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      expect(() => savePlacement(join(dir, 'missing', 'state.json'), primary, false)).not.toThrow();
    } finally {
      console.warn = warn;
    }
    expect(warnings).toHaveLength(1);
  });
});
