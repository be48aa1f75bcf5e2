import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPaths } from './app-paths';

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
});
