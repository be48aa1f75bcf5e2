/**
 * The user's saved settings (`settings.json` in the data folder the app starts with) and how they combine with
 * the command line: a flag wins over the saved value, a saved value over the default. The file also keeps the
 * setup assistant's progress (what was changed on the router), so "Stop and restore" can list it after a restart,
 * and the colour theme, so the desktop app and `serve` show the same one.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CONFIG_FIELDS, validateConfigValues, type ConfigField, type ConfigValues } from '@shared/config';
import { NO_PROGRESS, setupProgressSchema, type SetupProgress } from '@shared/setup';
import { DEFAULT_THEME, themeChoiceSchema, type ThemeChoice } from '@shared/theme';
import { writeFileAtomic } from '../atomic-write';
import { describeFsError, ensureDir } from '../capture/journal';

export const SETTINGS_FILE = 'settings.json';

/** What the file holds: each config field only once the user saved it, the setup progress and the theme. */
export interface SavedSettings {
  readonly values: Partial<ConfigValues>;
  readonly progress: SetupProgress;
  readonly theme: ThemeChoice;
}

const NOTHING_SAVED: SavedSettings = { values: {}, progress: NO_PROGRESS, theme: DEFAULT_THEME };

const fileSchema = z
  .object({
    version: z.literal(1),
    listen: z.array(z.string()).optional(),
    upstreams: z.array(z.string()).optional(),
    allow: z.array(z.string()).optional(),
    retentionDays: z.number().optional(),
    dataDir: z.string().optional(),
    dnstapOut: z.array(z.string()).optional(),
    setup: setupProgressSchema.optional(),
    theme: z.unknown().optional(),
  })
  .passthrough();

/**
 * Reads the settings file's text: each field is checked on its own, so one bad value (the file was edited by
 * hand) is dropped with a warning and the others still apply. Throws only for text that is not a settings object.
 */
export function parseSettings(text: string, onWarning: (message: string) => void): SavedSettings {
  const parsed = fileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a settings file');
  const raw = parsed.data;
  const values: { -readonly [K in ConfigField]?: ConfigValues[K] } = {};
  // Validate each saved field against the defaults of the others, so problems are reported per field.
  const probe: ConfigValues = {
    listen: [],
    upstreams: [],
    allow: [],
    retentionDays: 30,
    dataDir: '',
    dnstapOut: [],
  };
  for (const field of CONFIG_FIELDS) {
    if (raw[field] === undefined) continue;
    const checked = validateConfigValues({ ...probe, [field]: raw[field] });
    if (checked.ok) (values as Record<ConfigField, unknown>)[field] = checked.values[field];
    else onWarning(`settings: ${field} ignored: ${checked.errors[field] ?? 'invalid'}`);
  }
  const theme = themeChoiceSchema.safeParse(raw.theme ?? DEFAULT_THEME);
  if (!theme.success)
    onWarning(`settings: theme ignored: ${JSON.stringify(raw.theme)} is not system, light or dark`);
  return {
    values,
    progress: { ...NO_PROGRESS, ...(raw.setup ?? {}) } as SetupProgress,
    theme: theme.success ? theme.data : DEFAULT_THEME,
  };
}

/** The settings file: loaded once, every change written atomically (mode 0600), one write after another. */
export class SettingsStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private current: SavedSettings,
    private exists: boolean,
  ) {}

  get file(): string {
    return join(this.dir, SETTINGS_FILE);
  }

  /** Whether a settings file was found or has been written. */
  get saved(): boolean {
    return this.exists;
  }

  get settings(): SavedSettings {
    return this.current;
  }

  /**
   * Reads `${dir}/settings.json`. Missing means nothing saved; a corrupt file is moved aside (so the next save
   * does not destroy it) and reported, and means nothing saved. Never rejects.
   */
  static async load(dir: string, onWarning: (message: string) => void): Promise<SettingsStore> {
    const path = join(dir, SETTINGS_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        onWarning(
          `settings could not be read from ${path}: ${describeFsError(err).text}; using the defaults`,
        );
      return new SettingsStore(dir, NOTHING_SAVED, false);
    }
    try {
      return new SettingsStore(dir, parseSettings(text, onWarning), true);
    } catch (err) {
      const aside = `${path}.corrupt-${Date.now()}`;
      await rename(path, aside).catch(() => undefined);
      onWarning(`settings in ${path} are not valid (${(err as Error).message}); moved to ${aside}`);
      return new SettingsStore(dir, NOTHING_SAVED, false);
    }
  }

  /** Replaces the saved values, progress and/or theme and writes the file. Rejects when it cannot be written. */
  async save(next: { values?: ConfigValues; progress?: SetupProgress; theme?: ThemeChoice }): Promise<void> {
    this.current = {
      values: next.values ?? this.current.values,
      progress: next.progress ?? this.current.progress,
      theme: next.theme ?? this.current.theme,
    };
    const { values, progress, theme } = this.current;
    // 'system' is the default and is not written: files from before the theme choice read the same.
    const body = { version: 1, ...values, setup: progress, ...(theme !== DEFAULT_THEME ? { theme } : {}) };
    const text = `${JSON.stringify(body, null, 2)}\n`;
    const write = this.writing.then(async () => {
      await ensureDir(this.dir);
      await writeFileAtomic(this.file, text);
      this.exists = true;
    });
    this.writing = write.catch(() => undefined);
    await write;
  }

  /** Waits for the writes started so far. Never rejects. */
  flush(): Promise<void> {
    return this.writing;
  }
}
