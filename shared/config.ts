/**
 * The settings a user can change in the Settings panel and keep across restarts: listen addresses, upstreams,
 * allowed ranges, retention and the data folder. The same fields exist as command-line flags, which win.
 * Validation here is pure (no Node); the engine adds checks that need the machine (is the address ours?).
 */
import { z } from 'zod';
import { DNSTAP_TARGET_HINT, parseDnstapTarget } from './dnstap';
import { ipFamily, parseHostPort } from './host-port';

export const CONFIG_FIELDS = [
  'listen',
  'upstreams',
  'allow',
  'retentionDays',
  'dataDir',
  'dnstapOut',
] as const;
export type ConfigField = (typeof CONFIG_FIELDS)[number];

/** The command-line flag that sets each field. */
export const CONFIG_FLAGS: Readonly<Record<ConfigField, string>> = {
  listen: '--listen',
  upstreams: '--upstream',
  allow: '--allow',
  retentionDays: '--retention-days',
  dataDir: '--data-dir',
  dnstapOut: '--dnstap-out',
};

/** Entries per list field, and characters per entry. */
export const CONFIG_LIST_MAX = 32;
export const CONFIG_ENTRY_MAX = 300;
export const RETENTION_DAYS_MAX = 36_500;

/** The settable options as text, the way the Settings form shows them. An empty list means the default. */
export interface ConfigValues {
  /** "192.168.0.23:53", "[fd00::23]:53" or a bare address (port 53); [] = every LAN address and loopback. */
  readonly listen: readonly string[];
  /** "9.9.9.9", "127.0.0.1:5353"; [] = the public defaults. */
  readonly upstreams: readonly string[];
  /** CIDR ranges answered besides loopback and private networks. */
  readonly allow: readonly string[];
  /** Days to keep stopped captures; 0 keeps them forever. */
  readonly retentionDays: number;
  /** Absolute path; "" = the app's default data folder. */
  readonly dataDir: string;
  /** dnstap readers to send every exchange to: "unix:/run/dnstap.sock", "tcp:127.0.0.1:6000"; [] or absent = none. */
  readonly dnstapOut?: readonly string[];
}

/** One message per field the user must fix, meant to be shown next to that field. */
export type ConfigErrors = Partial<Record<ConfigField, string>>;

/** What the Settings panel shows: saved values, what runs now, and which fields the command line set. */
export interface ConfigView {
  /** The saved settings, or the defaults where nothing was saved. */
  readonly values: ConfigValues;
  /** What the engine runs with now (command line > saved settings > defaults). */
  readonly effective: ConfigValues;
  /** Fields given on the command line: their saved value applies only when started without the flag. */
  readonly commandLine: readonly ConfigField[];
  /** Saved fields that take effect at the next start (the data folder). */
  readonly restartNeeded: readonly ConfigField[];
  /** Where the settings are kept. */
  readonly file: string;
  /** Whether a settings file exists (false before the first save). */
  readonly saved: boolean;
}

export type ConfigSaveResult =
  | {
      readonly ok: true;
      readonly view: ConfigView;
      /** Fields whose new value is in effect now (e.g. the forwarder was restarted on the new addresses). */
      readonly applied: readonly ConfigField[];
      /** One line for the user: what was applied, what needs a restart, what the command line overrides. */
      readonly message: string;
    }
  | { readonly ok: false; readonly errors: ConfigErrors };

/** "192.168.0.23:53" or "[fd00::1]:53". */
export function formatAddressPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for "ADDR/PREFIX" or a bare address with a prefix in range. */
export function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  // A range has no zone id (node:net's BlockList refuses one).
  const family = address.includes('%') ? 0 : ipFamily(address);
  if (family === 0) return false;
  const prefix = slash < 0 ? '' : text.slice(slash + 1).trim();
  if (slash >= 0 && !/^\d{1,3}$/.test(prefix)) return false;
  return slash < 0 || Number(prefix) <= (family === 4 ? 32 : 128);
}

function listProblem(
  entries: readonly string[],
  what: string,
  check: (entry: string) => string,
): string | undefined {
  if (entries.length > CONFIG_LIST_MAX) return `At most ${CONFIG_LIST_MAX} ${what}.`;
  for (const e of entries) {
    if (e.length > CONFIG_ENTRY_MAX) return `“${e.slice(0, 40)}…” is too long.`;
    const problem = check(e);
    if (problem !== '') return problem;
  }
  return undefined;
}

/** Splits what the user typed in a list field (one entry per line, or separated by commas/spaces). */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Checks the values' form and ranges, field by field, with a message meant for the user; returns the values
 * trimmed (entries canonical where that is unambiguous) or the errors. Pure: both the form and the engine use it.
 */
export function validateConfigValues(
  v: ConfigValues,
):
  | { readonly ok: true; readonly values: ConfigValues }
  | { readonly ok: false; readonly errors: ConfigErrors } {
  const errors: ConfigErrors = {};
  const listen = v.listen.map((s) => s.trim()).filter((s) => s !== '');
  const upstreams = v.upstreams.map((s) => s.trim()).filter((s) => s !== '');
  const allow = v.allow.map((s) => s.trim()).filter((s) => s !== '');
  const dnstapOut = (v.dnstapOut ?? []).map((s) => s.trim()).filter((s) => s !== '');
  const listenProblem = listProblem(listen, 'listen addresses', (e) =>
    parseHostPort(e, 53)
      ? ''
      : `“${e}” is not an address of this computer with an optional port, e.g. 192.168.0.23 or 192.168.0.23:53.`,
  );
  if (listenProblem) errors.listen = listenProblem;
  const upstreamProblem = listProblem(upstreams, 'upstreams', (e) =>
    parseHostPort(e, 53)
      ? ''
      : `“${e}” is not a resolver address with an optional port, e.g. 9.9.9.9 or 127.0.0.1:5353.`,
  );
  if (upstreamProblem) errors.upstreams = upstreamProblem;
  const allowProblem = listProblem(allow, 'ranges', (e) =>
    isCidr(e) ? '' : `“${e}” is not an address range, e.g. 203.0.113.0/24.`,
  );
  if (allowProblem) errors.allow = allowProblem;
  const dnstapProblem = listProblem(dnstapOut, 'dnstap outputs', (e) =>
    parseDnstapTarget(e) ? '' : `“${e}” is not a dnstap reader's socket, ${DNSTAP_TARGET_HINT}.`,
  );
  if (dnstapProblem) errors.dnstapOut = dnstapProblem;
  if (!Number.isInteger(v.retentionDays) || v.retentionDays < 0 || v.retentionDays > RETENTION_DAYS_MAX)
    errors.retentionDays = `Enter whole days from 0 (keep forever) to ${RETENTION_DAYS_MAX}.`;
  const dataDir = v.dataDir.trim();
  if (dataDir.length > 1024) errors.dataDir = 'The folder path is too long.';
  else if (/\p{Cc}/u.test(dataDir)) errors.dataDir = 'A folder path cannot contain control characters.';
  else if (dataDir !== '' && !/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(dataDir))
    errors.dataDir = 'Enter a full path (starting with / or a drive letter like C:\\), or leave it empty.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const canonical = (e: string) => {
    const hp = parseHostPort(e, 53)!;
    return formatAddressPort(hp.host, hp.port);
  };
  return {
    ok: true,
    values: {
      listen: listen.map(canonical),
      upstreams: upstreams.map(canonical),
      allow,
      retentionDays: v.retentionDays,
      dataDir,
      // Only when given: forms and files from before dnstap have no such field.
      ...(v.dnstapOut !== undefined ? { dnstapOut } : {}),
    },
  };
}

/** The config:save payload: loose on purpose, so a wrong entry comes back as a message next to its field. */
export const configValuesSchema = z
  .object({
    listen: z.array(z.string().max(CONFIG_ENTRY_MAX * 2)).max(CONFIG_LIST_MAX * 4),
    upstreams: z.array(z.string().max(CONFIG_ENTRY_MAX * 2)).max(CONFIG_LIST_MAX * 4),
    allow: z.array(z.string().max(CONFIG_ENTRY_MAX * 2)).max(CONFIG_LIST_MAX * 4),
    retentionDays: z.number().finite(),
    dataDir: z.string().max(4096),
    // Optional: a form from before dnstap sends none (and then keeps none).
    dnstapOut: z
      .array(z.string().max(CONFIG_ENTRY_MAX * 2))
      .max(CONFIG_LIST_MAX * 4)
      .optional(),
  })
  .strict();
