/**
 * The colour theme the user picks in Settings: follow the system, or always light or dark. The engine keeps
 * the choice (settings.json), so the desktop app and the browser dashboard of `serve` show the same one.
 */
import { z } from 'zod';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];

/** What theme:get answers and theme:set takes; an object, so more appearance settings can join it. */
export interface ThemeSetting {
  readonly theme: ThemeChoice;
}

export const DEFAULT_THEME: ThemeChoice = 'system';

export const themeChoiceSchema = z.enum(THEME_CHOICES);
export const themeSettingSchema = z.object({ theme: themeChoiceSchema }).strict();

/** The scheme drawn: the choice, or for 'system' what the system prefers. */
export function resolveTheme(choice: ThemeChoice, systemDark: boolean): 'light' | 'dark' {
  if (choice === 'system') return systemDark ? 'dark' : 'light';
  return choice;
}
