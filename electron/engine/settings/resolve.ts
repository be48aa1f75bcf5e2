/**
 * Precedence of the settable options: the command line, then the saved settings, then the defaults. Converts
 * between the engine's options and the text the Settings form shows.
 */
import { CONFIG_FIELDS, formatAddressPort, type ConfigField, type ConfigValues } from '@shared/config';
import { parseHostPort } from '@shared/host-port';
import { DEFAULT_UPSTREAMS, defaultListen, DNS_PORT, type EngineOptions } from '../options';

/** The fields the command line set; every field when the caller did not say (tests and embedders pass exact options). */
export function commandLineFields(options: EngineOptions): readonly ConfigField[] {
  return options.commandLine ?? CONFIG_FIELDS;
}

/** The options as the Settings form shows them. */
export function valuesOf(options: EngineOptions): ConfigValues {
  return {
    listen: options.listen.map((l) => formatAddressPort(l.host, l.port)),
    upstreams: options.upstreams.map((u) => formatAddressPort(u.host, u.port)),
    allow: [...options.allow],
    retentionDays: options.retentionDays,
    dataDir: options.dataDir,
    // Left out while there are none, as in settings saved before dnstap existed.
    ...(options.dnstapOut.length > 0 ? { dnstapOut: [...options.dnstapOut] } : {}),
  };
}

/**
 * `options` with each field the command line did not set taken from `saved` where it holds one. An empty saved
 * list or data folder means the default: every LAN address, the public upstreams, `startDataDir`.
 * `saved` must hold validated values (see validateConfigValues).
 */
export function applySettings(
  options: EngineOptions,
  saved: Partial<ConfigValues>,
  startDataDir: string,
  listenDefault: () => EngineOptions['listen'] = defaultListen,
): EngineOptions {
  const fromFlags = new Set(commandLineFields(options));
  const pick = <K extends ConfigField>(field: K): ConfigValues[K] | undefined =>
    fromFlags.has(field) ? undefined : saved[field];
  const hostPorts = (list: readonly string[]) =>
    list.map((t) => parseHostPort(t, DNS_PORT)).filter((hp) => hp !== null);
  const listen = pick('listen');
  const upstreams = pick('upstreams');
  const allow = pick('allow');
  const retentionDays = pick('retentionDays');
  const dataDir = pick('dataDir');
  const dnstapOut = pick('dnstapOut');
  return {
    ...options,
    ...(listen !== undefined ? { listen: listen.length > 0 ? hostPorts(listen) : listenDefault() } : {}),
    ...(upstreams !== undefined
      ? { upstreams: upstreams.length > 0 ? hostPorts(upstreams) : DEFAULT_UPSTREAMS }
      : {}),
    ...(allow !== undefined ? { allow } : {}),
    ...(retentionDays !== undefined ? { retentionDays } : {}),
    ...(dataDir !== undefined ? { dataDir: dataDir === '' ? startDataDir : dataDir } : {}),
    ...(dnstapOut !== undefined ? { dnstapOut } : {}),
  };
}
