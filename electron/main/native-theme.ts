import { nativeTheme } from 'electron';
import type { EngineHandle } from '../engine/types';

/** The page's background (--bg in renderer/src/styles.css), shown before the page paints. */
export const WINDOW_BACKGROUND = { light: '#f4f5f7', dark: '#101317' } as const;

/**
 * Sets nativeTheme.themeSource to the theme saved in Settings, now and after every change, so the window's
 * own parts (title bar, menus, dialogs, scrollbars) and the page's prefers-color-scheme follow the choice.
 * Call before the first window opens. Returns the function that stops following.
 */
export function setupNativeTheme(engine: Pick<EngineHandle, 'theme' | 'onTheme'>): () => void {
  nativeTheme.themeSource = engine.theme().theme;
  return engine.onTheme(({ theme }) => {
    nativeTheme.themeSource = theme;
  });
}

/** The colour the window shows before its page paints: the page's background in the theme in effect. */
export function windowBackground(): string {
  return nativeTheme.shouldUseDarkColors ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light;
}
