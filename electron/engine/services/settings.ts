import type { ConfigSaveResult, ConfigValues, ConfigView } from '@shared/config';
import { withRetired } from '../dns/counters';
import type { DnsThreadHealth, EngineCounters, ListenerStatus, WarningCode } from '@shared/events';
import type { ActiveRule } from '@shared/watch/rules';
import type { ThemeChoice, ThemeSetting } from '@shared/theme';
import type { ExchangeSink } from '../capture';
import { accessListWith } from '../dns/acl';
import { DnsThread } from '../dns/dns-thread';
import type { DnsThreadConfig } from '../dns/thread-messages';
import { Forwarder, type Verdict } from '../dns/forwarder';
import { NetworkUpstream } from '../dns/upstream';
import type { EngineOptions } from '../options';
import { ConfigService } from '../settings/config-service';
import type { SettingsStore } from '../settings/settings-store';

export interface SettingsDeps {
  /** The options as the app was started (command line and defaults), before saved settings. */
  readonly startOptions: EngineOptions;
  readonly settings: SettingsStore;
  /** Where every finished exchange goes, and the watchlist's verdict per name. */
  readonly sink: ExchangeSink;
  readonly classify: (qname: string) => Verdict;
  /** The watchlist's rules, which a DNS thread classifies with (it cannot call `classify`). */
  rules(): readonly ActiveRule[];
  warn(code: WarningCode, message: string): void;
  /** The router's addresses: never a valid upstream. */
  routers(): readonly string[];
  /** Keeps captures for `days` from now on. */
  setRetention(days: number): void;
  /** The forwarder was replaced: the status changed. */
  applied(): void;
  /** Sends every exchange to these dnstap readers from now on (validated targets). */
  setDnstap(targets: readonly string[]): void;
}

/** The forwarder as the services see it: on this thread (Forwarder) or on its own (DnsThread). */
export type DnsPath = Pick<
  Forwarder,
  'listen' | 'close' | 'listenerStatus' | 'listenerFailures' | 'upstreamStatus' | 'counters'
>;

/**
 * The options in effect and the forwarder that runs them: the Settings panel's view and save, and a save that
 * changes listen addresses, upstreams or ranges replaces the forwarder (counters carry over).
 */
export class SettingsService {
  private opts: EngineOptions;
  private fwd: DnsPath;
  /** Counters of forwarders replaced by a settings change, so the totals keep counting. */
  private retired: EngineCounters | null = null;
  /** listen() was called: a forwarder restart must bind the new one too. */
  private listening = false;
  private readonly config: ConfigService;

  constructor(
    options: EngineOptions,
    private readonly deps: SettingsDeps,
  ) {
    this.opts = options;
    this.fwd = this.makeForwarder(options);
    this.config = new ConfigService({
      startOptions: deps.startOptions,
      settings: deps.settings,
      current: () => this.opts,
      routers: deps.routers,
      apply: (next, fields) => this.applyOptions(next, fields),
    });
  }

  /** The options in effect: the command line, then the saved settings, then the defaults. */
  get options(): EngineOptions {
    return this.opts;
  }

  /** The forwarder running now (a settings save may replace it). */
  get forwarder(): DnsPath {
    return this.fwd;
  }

  /**
   * Where exchanges other resolvers report go: through the DNS thread's journal when it writes the capture's
   * (so they are journaled in order with the forwarder's), else straight to the sink.
   */
  readonly observed: ExchangeSink = {
    record: (rec) => {
      const thread = this.threadJournal;
      if (thread) thread.observed(rec);
      else this.deps.sink.record(rec);
    },
  };

  /** The DNS thread, which numbers, journals and seals the running capture's records; null on this thread. */
  get threadJournal(): DnsThread | null {
    return this.fwd instanceof DnsThread ? this.fwd : null;
  }

  /** Binds the DNS listeners, now and after every forwarder replacement. Never rejects for a bind failure. */
  async listen(): Promise<ListenerStatus[]> {
    const statuses = await this.fwd.listen();
    this.listening = true;
    return statuses;
  }

  /** The forwarder's counters, with those of the forwarders it replaced. */
  counters(): EngineCounters {
    const now = this.fwd.counters();
    return this.retired ? withRetired(now, this.retired) : now;
  }

  /** The DNS thread's restarts and drops; undefined when the forwarder runs on this thread. */
  dnsThread(): DnsThreadHealth | undefined {
    return this.fwd instanceof DnsThread ? this.fwd.health() : undefined;
  }

  /** The watchlist's rules changed: a DNS thread classifies with them from now on. */
  rulesChanged(rules: readonly ActiveRule[]): void {
    if (this.fwd instanceof DnsThread) this.fwd.setRules(rules);
  }

  /** Tests only: makes the DNS thread die (see DnsThread.crash); nothing when there is none. */
  async crashDnsThread(how: 'throw' | 'exit'): Promise<void> {
    if (this.fwd instanceof DnsThread) await this.fwd.crash(how);
  }

  view(): ConfigView {
    return this.config.view();
  }

  save(values: ConfigValues): Promise<ConfigSaveResult> {
    return this.config.save(values);
  }

  /** The colour theme chosen in Settings ('system' until one is chosen). */
  theme(): ThemeSetting {
    return { theme: this.deps.settings.settings.theme };
  }

  /** Saves the colour theme. Rejects when the settings file cannot be written. */
  async setTheme(theme: ThemeChoice): Promise<ThemeSetting> {
    await this.deps.settings.save({ theme });
    return this.theme();
  }

  /** Waits for a save in progress, then stops the forwarder. */
  async closeForwarder(): Promise<void> {
    await this.config.idle();
    await this.fwd.close();
  }

  /** Writes the settings file if a write is pending. */
  flush(): Promise<void> {
    return this.deps.settings.flush();
  }

  private threadConfig(options: EngineOptions): DnsThreadConfig {
    return {
      listen: options.listen,
      upstreams: options.upstreams,
      allow: options.allow,
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      ...(options.tcpPerClient !== undefined ? { tcpPerClient: options.tcpPerClient } : {}),
      rules: this.deps.rules(),
    };
  }

  private makeForwarder(options: EngineOptions): DnsPath {
    const { sink, classify, warn } = this.deps;
    if (options.dnsThread === true && options.clock === undefined)
      return new DnsThread({ config: this.threadConfig(options), sink, onWarning: warn });
    return new Forwarder({
      listen: options.listen,
      upstreams: options.upstreams.map((u) => new NetworkUpstream(u, options)),
      acl: accessListWith(options.allow),
      timeoutMs: options.timeoutMs,
      maxInFlight: options.maxInFlight,
      tcpPerClient: options.tcpPerClient,
      sink,
      classify,
      onWarning: (code, message) => warn(code, message),
      clock: options.clock,
      random: options.random,
    });
  }

  /**
   * Puts new options into effect. Listen addresses, upstreams and ranges replace the forwarder: the old one stops
   * listening and finishes what it forwards (recorded as usual), the new one binds. When the new one binds
   * nothing although the old one did, the old options come back and the result says why.
   */
  private async applyOptions(
    next: EngineOptions,
    fields: ReadonlySet<'forwarder' | 'retention' | 'dnstap'>,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    const previous = this.opts;
    const keepRetention = () => {
      if (fields.has('retention')) this.deps.setRetention(next.retentionDays);
      if (fields.has('dnstap')) this.deps.setDnstap(next.dnstapOut);
    };
    this.opts = next;
    if (!fields.has('forwarder')) {
      keepRetention();
      return { ok: true };
    }
    const old = this.fwd;
    const hadListeners = old.listenerStatus().some((l) => l.state === 'listening');
    const replace = async (options: EngineOptions) => {
      const prev = this.counters();
      const drainMs = options.timeoutMs * Math.max(1, this.fwd.upstreamStatus().length);
      // The DNS thread stays (it writes the running capture's journal): only its forwarder is replaced.
      if (this.fwd instanceof DnsThread) await this.fwd.reconfigure(this.threadConfig(options), drainMs);
      else {
        await this.fwd.close(drainMs);
        this.fwd = this.makeForwarder(options);
      }
      this.retired = { ...prev, inFlight: 0 };
      return this.listening ? this.fwd.listen() : [];
    };
    const statuses = await replace(next);
    if (!this.listening || statuses.some((s) => s.state === 'listening') || !hadListeners) {
      keepRetention();
      this.deps.applied();
      return { ok: true };
    }
    const why = statuses.find((s) => s.state === 'error')?.error ?? 'no listener could be started';
    // Nothing of this save takes effect: the previous options come back whole.
    this.opts = previous;
    await replace(previous);
    this.deps.applied();
    return { ok: false, error: `${why} (kept the previous addresses)` };
  }
}
