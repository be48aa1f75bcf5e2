/**
 * Saving settings from the UI: checks every field (form and range in shared/config, then what needs this machine:
 * is the address ours, would the upstream loop, can the folder be used), puts what it can into effect at once,
 * writes the file, and says in one line what happened.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_FIELDS,
  CONFIG_FLAGS,
  formatAddressPort,
  validateConfigValues,
  type ConfigErrors,
  type ConfigField,
  type ConfigSaveResult,
  type ConfigValues,
  type ConfigView,
} from '@shared/config';
import { parseHostPort } from '@shared/host-port';
import { describeFsError, ensureDir } from '../capture/journal';
import { DEFAULT_RETENTION_DAYS, DNS_PORT, type EngineOptions } from '../options';
import { applySettings, commandLineFields, valuesOf } from './resolve';
import type { SettingsStore } from './settings-store';

export type ApplyPart = 'forwarder' | 'retention' | 'dnstap';

export interface ConfigServiceDeps {
  /** The options as the app was started (command line and defaults), before saved settings. */
  readonly startOptions: EngineOptions;
  readonly settings: SettingsStore;
  /** The options in effect now. */
  current(): EngineOptions;
  /** The router's addresses: never a valid upstream. */
  routers(): readonly string[];
  /** Puts `next` into effect for the given parts; resolves with why not when the new listeners bind nothing. */
  apply(
    next: EngineOptions,
    parts: ReadonlySet<ApplyPart>,
  ): Promise<{ ok: true } | { ok: false; error: string }>;
}

/** This computer's own addresses (and the wildcards): the only valid listen addresses. */
function localAddresses(): Set<string> {
  const set = new Set(['0.0.0.0', '::', '::1']);
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? []) set.add(a.address.split('%')[0]!);
  return set;
}

function isLoopback4(host: string): boolean {
  return /^127\./.test(host);
}

/** Can the folder be created and written? "" when yes, else the reason. */
async function folderProblem(dir: string): Promise<string> {
  try {
    await ensureDir(dir);
    const probe = join(dir, `.dns-witness-write-test-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return '';
  } catch (err) {
    return `DNS Witness cannot use this folder: ${describeFsError(err).text}.`;
  }
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Saves and applies the user's settings, one save at a time. */
export class ConfigService {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ConfigServiceDeps) {}

  private get commandLine(): ReadonlySet<ConfigField> {
    return new Set(commandLineFields(this.deps.startOptions));
  }

  /** Saved values (or the form's defaults), what runs, the command line's fields, what waits for a restart. */
  view(): ConfigView {
    const saved = this.deps.settings.settings.values;
    const current = this.deps.current();
    const start = this.deps.startOptions;
    const wanted = applySettings({ ...start, commandLine: [] }, saved, start.dataDir);
    const restartNeeded: ConfigField[] =
      !this.commandLine.has('dataDir') && wanted.dataDir !== current.dataDir ? ['dataDir'] : [];
    return {
      values: {
        listen: saved.listen ?? [],
        upstreams: saved.upstreams ?? [],
        allow: saved.allow ?? [],
        retentionDays: saved.retentionDays ?? DEFAULT_RETENTION_DAYS,
        dataDir: saved.dataDir ?? '',
        dnstapOut: saved.dnstapOut ?? [],
      },
      effective: valuesOf(current),
      commandLine: CONFIG_FIELDS.filter((f) => this.commandLine.has(f)),
      restartNeeded,
      file: this.deps.settings.file,
      saved: this.deps.settings.saved,
    };
  }

  /** Resolves once the saves started so far are done. Never rejects. */
  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Validates `input` field by field; when it is valid, applies it where the command line does not decide, saves
   * it, and describes the outcome. Rejects only when the settings file cannot be written.
   */
  save(input: ConfigValues): Promise<ConfigSaveResult> {
    const run = this.queue.then(() => this.saveNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async machineProblems(values: ConfigValues): Promise<ConfigErrors> {
    const errors: ConfigErrors = {};
    const local = localAddresses();
    const foreign = values.listen
      .map((t) => parseHostPort(t, DNS_PORT)!.host)
      .filter((h) => !local.has(h) && !isLoopback4(h));
    if (foreign.length > 0) {
      const mine = [...local].filter((a) => a !== '0.0.0.0' && a !== '::' && a !== '::1' && !isLoopback4(a));
      errors.listen = `${foreign[0]} is not an address of this computer${mine.length > 0 ? ` (its addresses: ${mine.join(', ')})` : ''}.`;
    }
    const routers = new Set(this.deps.routers());
    const listening = new Set(this.deps.current().listen.map((l) => formatAddressPort(l.host, l.port)));
    for (const text of values.upstreams) {
      const hp = parseHostPort(text, DNS_PORT)!;
      if (routers.has(hp.host)) {
        errors.upstreams = `${hp.host} is your router: once it points at this computer, queries would go round in a loop. Use a public resolver such as 9.9.9.9.`;
        break;
      }
      if (listening.has(formatAddressPort(hp.host, hp.port))) {
        errors.upstreams = `${text} is DNS Witness itself: queries would go round in a loop.`;
        break;
      }
    }
    if (values.dataDir !== '') {
      const problem = await folderProblem(values.dataDir);
      if (problem) errors.dataDir = problem;
    }
    return errors;
  }

  private async saveNow(input: ConfigValues): Promise<ConfigSaveResult> {
    const checked = validateConfigValues(input);
    if (!checked.ok) return { ok: false, errors: checked.errors };
    const values = checked.values;
    const problems = await this.machineProblems(values);
    if (Object.keys(problems).length > 0) return { ok: false, errors: problems };

    const current = this.deps.current();
    const start = this.deps.startOptions;
    // The data folder cannot move under a running capture; everything else can change now.
    const next = { ...applySettings(start, values, start.dataDir), dataDir: current.dataDir };
    const before = valuesOf(current);
    const after = valuesOf(next);
    const parts = new Set<ApplyPart>();
    const applied: ConfigField[] = [];
    for (const f of ['listen', 'upstreams', 'allow'] as const)
      if (!same(before[f], after[f])) {
        parts.add('forwarder');
        applied.push(f);
      }
    if (!same(before.dnstapOut ?? [], after.dnstapOut ?? [])) {
      parts.add('dnstap');
      applied.push('dnstapOut');
    }
    if (before.retentionDays !== after.retentionDays) {
      parts.add('retention');
      applied.push('retentionDays');
    }
    if (parts.size > 0) {
      const outcome = await this.deps.apply(next, parts);
      if (!outcome.ok) return { ok: false, errors: { listen: outcome.error } };
    }
    try {
      await this.deps.settings.save({ values });
    } catch (err) {
      throw new Error(
        `the settings are in effect but could not be saved to ${this.deps.settings.file}: ${describeFsError(err).text}`,
        { cause: err },
      );
    }
    const view = this.view();
    return { ok: true, view, applied, message: this.describe(values, applied, view) };
  }

  private describe(values: ConfigValues, applied: readonly ConfigField[], view: ConfigView): string {
    const parts = ['Saved.'];
    if (applied.some((f) => f === 'listen' || f === 'upstreams' || f === 'allow'))
      parts.push(`The DNS listener restarted on ${view.effective.listen.join(', ')}; the capture goes on.`);
    if (applied.includes('retentionDays'))
      parts.push(
        values.retentionDays === 0
          ? 'Stopped captures are kept.'
          : `Stopped captures older than ${values.retentionDays} days are deleted.`,
      );
    const overridden = view.commandLine.filter(
      (f) => !same([String(view.values[f])], [String(view.effective[f])]),
    );
    if (overridden.length > 0)
      parts.push(
        `${overridden.map((f) => CONFIG_FLAGS[f]).join(', ')} on the command line ${overridden.length > 1 ? 'are' : 'is'} in effect; the saved value applies when started without it.`,
      );
    if (applied.includes('dnstapOut'))
      parts.push(
        (values.dnstapOut ?? []).length === 0
          ? 'dnstap output is off.'
          : `Every exchange goes to ${(view.effective.dnstapOut ?? []).join(', ')} as dnstap.`,
      );
    if (view.restartNeeded.includes('dataDir')) parts.push('The data folder changes at the next start.');
    if (applied.length === 0 && overridden.length === 0 && view.restartNeeded.length === 0)
      parts.push('Nothing needed to change.');
    return parts.join(' ');
  }
}
