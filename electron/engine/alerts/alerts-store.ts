/**
 * The alert targets as saved (`alerts.json` in the data folder, mode 0600 as it holds the ntfy token and the
 * MQTT password). A file that cannot be read or does not fit is reported and means "alerts off".
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NO_ALERTS, validateAlertSettings, type AlertSettingsInput } from '@shared/alerts';
import { writeFileAtomic } from '../atomic-write';
import { describeFsError, ensureDir } from '../capture/journal';

export const ALERTS_FILE = 'alerts.json';

/** The saved settings with their secrets ("" when none). */
export interface SavedAlerts {
  readonly webhook: AlertSettingsInput['webhook'];
  readonly ntfy: AlertSettingsInput['ntfy'] & { readonly token: string };
  readonly mqtt: AlertSettingsInput['mqtt'] & { readonly password: string };
}

export const NOTHING_SAVED: SavedAlerts = {
  webhook: NO_ALERTS.webhook,
  ntfy: { ...NO_ALERTS.ntfy, token: '' },
  mqtt: { ...NO_ALERTS.mqtt, password: '' },
};

const fileSchema = z.object({
  version: z.literal(1),
  webhook: z.object({ enabled: z.boolean(), url: z.string() }),
  ntfy: z.object({ enabled: z.boolean(), url: z.string(), token: z.string() }),
  mqtt: z.object({
    enabled: z.boolean(),
    url: z.string(),
    username: z.string(),
    password: z.string(),
    topic: z.string(),
    discoveryPrefix: z.string(),
  }),
});

export async function loadAlerts(dir: string, warn: (message: string) => void): Promise<SavedAlerts> {
  const path = join(dir, ALERTS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      warn(`alerts: ${path} could not be read (${describeFsError(err).text}); alerts are off`);
    return NOTHING_SAVED;
  }
  try {
    const saved = fileSchema.parse(JSON.parse(text));
    const checked = validateAlertSettings(saved);
    if (!checked.ok) throw new Error(Object.values(checked.errors)[0]);
    return saved;
  } catch (err) {
    warn(`alerts: ${path} is not valid (${(err as Error).message}); alerts are off until saved again`);
    return NOTHING_SAVED;
  }
}

export async function saveAlerts(dir: string, saved: SavedAlerts): Promise<void> {
  await ensureDir(dir);
  await writeFileAtomic(join(dir, ALERTS_FILE), `${JSON.stringify({ version: 1, ...saved }, null, 2)}\n`);
}
