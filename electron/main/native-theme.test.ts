import { describe, expect, it, vi } from 'vitest';
import { createMainWindow } from './main-window';
import { setupNativeTheme, WINDOW_BACKGROUND } from './native-theme';
import { fakeEngine } from './testing/fake-engine';
import { nativeTheme, type FakeBrowserWindow } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

describe('the theme chosen in Settings, in the desktop app', () => {
  it('sets nativeTheme.themeSource at start and after every change, until stopped', async () => {
    const engine = fakeEngine();
    await engine.setTheme('dark');
    nativeTheme.themeSource = 'system';
    const stop = setupNativeTheme(engine);
    expect(nativeTheme.themeSource).toBe('dark');
    // The window opened now starts on the page's dark background, not a white flash.
    const win = createMainWindow({ preload: '/p.cjs', placementFile: '/nonexistent/w.json' });
    expect((win as unknown as FakeBrowserWindow).options['backgroundColor']).toBe(WINDOW_BACKGROUND.dark);
    // Saved through the contract's theme:set, by any window or browser tab.
    await engine.setTheme('light');
    expect(nativeTheme.themeSource).toBe('light');
    await engine.setTheme('system');
    expect(nativeTheme.themeSource).toBe('system');
    stop();
    engine.emitTheme({ theme: 'dark' });
    expect(nativeTheme.themeSource).toBe('system');
    expect(engine.listenerCount()).toBe(0);
  });
});
