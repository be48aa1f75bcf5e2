import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPaths } from './app-paths';

const root = resolve(import.meta.dirname, '../..');

describe('appPaths()', () => {
  it('finds the UI inside the app folder or asar and the data under userData', () => {
    const asar = '/opt/DNS Witness/resources/app.asar';
    expect(appPaths(asar, '/home/u/.config/DNS Witness')).toEqual({
      renderer: join(asar, 'out/renderer'),
      preload: join(asar, 'out/preload/index.cjs'),
      dataDir: '/home/u/.config/DNS Witness/data',
      windowState: '/home/u/.config/DNS Witness/window-state.json',
    });
  });

  it('points at what electron-vite built (global setup builds out/)', () => {
    const paths = appPaths(root, '/tmp/unused');
    expect(existsSync(join(paths.renderer, 'index.html'))).toBe(true);
    expect(existsSync(paths.preload)).toBe(true);
  });
});
