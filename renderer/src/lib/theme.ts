/**
 * The colour theme on the page: styles.css draws light or dark by `color-scheme`, which follows the system
 * unless <html> carries data-theme="light" or "dark". The engine keeps the choice (theme:get, theme:set) and
 * announces every change (theme:change), so all windows and tabs follow; the page also remembers the last
 * one, so a reload starts in it before the engine answers.
 */
import { useEffect } from 'react';
import { THEME_CHOICES, type ThemeChoice } from '@shared/theme';
import type { Dashboard } from './dashboard';

export const THEME_ATTR = 'data-theme';
const STORAGE_KEY = 'dns-witness.theme';

function isThemeChoice(value: unknown): value is ThemeChoice {
  return THEME_CHOICES.some((c) => c === value);
}

/** Shows `choice` on the page and remembers it for the next load. */
export function applyTheme(doc: Document, choice: ThemeChoice): void {
  doc.documentElement.setAttribute(THEME_ATTR, choice);
  try {
    doc.defaultView?.localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage may be off (private windows, policies); the engine's answer applies the choice anyway.
  }
}

/** Applies the theme the page showed last time, before the first paint; 'system' when there is none. */
export function applyRememberedTheme(doc: Document): void {
  let stored: string | null = null;
  try {
    stored = doc.defaultView?.localStorage.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  doc.documentElement.setAttribute(THEME_ATTR, isThemeChoice(stored) ? stored : 'system');
}

/** The theme shown now (data-theme on <html>). */
export function shownTheme(doc: Document): ThemeChoice {
  const value = doc.documentElement.getAttribute(THEME_ATTR);
  return isThemeChoice(value) ? value : 'system';
}

/**
 * Keeps the page in the engine's theme: asks for it whenever the connection (re)opens, and follows every
 * change saved in any window or tab.
 */
export function useEngineTheme(dashboard: Dashboard, connected: boolean): void {
  useEffect(() => dashboard.onThemeChange(({ theme }) => applyTheme(document, theme)), [dashboard]);
  useEffect(() => {
    if (!connected) return;
    let current = true;
    dashboard
      .invoke('theme:get', undefined)
      .then(({ theme }) => {
        if (current) applyTheme(document, theme);
      })
      // The remembered or the system theme stays; nothing else depends on it.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [dashboard, connected]);
}
