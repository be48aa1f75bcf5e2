/**
 * The user's saved settings (`settings.json` in the data folder the app starts with) and how they combine with
 * the command line: a flag wins over the saved value, a saved value over the default. The file also keeps the
 * setup assistant's progress (what was changed on the router), so "Stop and restore" can list it after a restart.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CONFIG_FIELDS, validateConfigValues, type ConfigField, type ConfigValues } from '@shared/config';
import { NO_PROGRESS, setupProgressSchema, type SetupProgress } from '@shared/setup';
import { writeFileAtomic } from '../atomic-write';
import { describeFsError, ensureDir } from '../capture/journal';

export const SETTINGS_FILE = 'settings.json';

/** What the file holds: each config field only once the user saved it, and the setup progress. */
export interface SavedSettings {
  readonly values: Partial<ConfigValues>;
  readonly progress: SetupProgress;
}

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
  return { values, progress: { ...NO_PROGRESS, ...(raw.setup ?? {}) } as SetupProgress };
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
      return new SettingsStore(dir, { values: {}, progress: NO_PROGRESS }, false);
    }
    try {
      return new SettingsStore(dir, parseSettings(text, onWarning), true);
    } catch (err) {
      const aside = `${path}.corrupt-${Date.now()}`;
      await rename(path, aside).catch(() => undefined);
      onWarning(`settings in ${path} are not valid (${(err as Error).message}); moved to ${aside}`);
      return new SettingsStore(dir, { values: {}, progress: NO_PROGRESS }, false);
    }
  }

  /** Replaces the saved values and/or progress and writes the file. Rejects when it cannot be written. */
  async save(next: { values?: ConfigValues; progress?: SetupProgress }): Promise<void> {
    this.current = {
      values: next.values ?? this.current.values,
      progress: next.progress ?? this.current.progress,
    };
    const body = { version: 1, ...this.current.values, setup: this.current.progress };
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
