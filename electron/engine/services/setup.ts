import type { DeviceInfo } from '@shared/events';
import { restoreText } from '@shared/router-guides';
import type { SelfTestResult, SetupProgress, SetupProgressChange, SetupState } from '@shared/setup';
import type { ExchangeRecord } from '../capture';
import type { Forwarder, ListenSpec } from '../dns/forwarder';
import {
  encodeQuery,
  exchange,
  routerReachResult,
  selfTestName,
  selfTestResult,
  targetOf,
  type SelfTestSeen,
} from '../setup/self-test';
import { surveyPort53 } from '../setup/survey';
import type { SettingsStore } from '../settings/settings-store';

/** Clients whose latest query time is kept for the setup assistant's router check; beyond it the map restarts. */
const MAX_HEARD = 4096;
/** How long the self-test waits for each listener's answer. */
const SELF_TEST_TIMEOUT_MS = 4000;
/**
 * How long the self-test waits, after the answer, for the forwarder's record of it: the DNS thread answers
 * first and hands its records over at the end of its turn.
 */
const SELF_TEST_RECORD_WAIT_MS = 2000;

/** A self-test query in flight: what the forwarder did with it, once its record arrives. */
interface SelfTestWait {
  seen: SelfTestSeen | null;
  arrived: () => void;
  readonly recorded: Promise<void>;
}

function selfTestWait(): SelfTestWait {
  let arrived = () => {};
  const recorded = new Promise<void>((resolve) => (arrived = resolve));
  return { seen: null, arrived, recorded };
}

export interface SetupDeps {
  readonly settings: Pick<SettingsStore, 'saved' | 'settings' | 'save'>;
  readonly devices: {
    get(address: string): Pick<DeviceInfo, 'isRouter'>;
    routerAddresses(): string[];
  };
  readonly capture: { readonly isRecording: boolean };
  /** The running forwarder (a settings save may replace it). */
  forwarder(): Pick<Forwarder, 'listenerStatus' | 'listenerFailures'>;
  /** The listen addresses in effect. */
  listen(): readonly ListenSpec[];
}

/** The setup assistant: port 53, whether the router asks us, the self-test, saved progress, what to restore. */
export class SetupService {
  /** Latest query time per client address, answered or not, whether or not a capture runs. */
  private readonly lastHeard = new Map<string, number>();
  /** Self-test names in flight → what the forwarder did with them (filled in by claim()). */
  private readonly selfTests = new Map<string, SelfTestWait>();

  constructor(private readonly deps: SetupDeps) {}

  /**
   * Takes every exchange first: true for our own self-test query (noted here, not the user's traffic);
   * otherwise notes when its client was last heard and returns false. On the DNS hot path.
   */
  claim(rec: ExchangeRecord): boolean {
    const wait = this.selfTests.get(rec.qname);
    if (wait) {
      wait.seen = { upstream: rec.upstream, error: rec.error };
      wait.arrived();
      return true;
    }
    if (this.lastHeard.size >= MAX_HEARD && !this.lastHeard.has(rec.client)) this.lastHeard.clear();
    this.lastHeard.set(rec.client, rec.ts);
    return false;
  }

  /**
   * Everything the setup assistant shows: addresses and port 53 on each, what is in the way (with commands),
   * the router's addresses and its latest query since `since`, and the saved progress. `withSurvey` false leaves
   * out the addresses and advice (no socket tools run).
   */
  async state(since: number, withSurvey = true): Promise<SetupState> {
    const d = this.deps;
    const survey = withSurvey
      ? await surveyPort53(d.forwarder().listenerStatus(), d.forwarder().listenerFailures(), d.listen())
      : { addresses: [], advice: [] };
    const routers = d.devices.routerAddresses();
    let routerQuery: SetupState['routerQuery'] = null;
    for (const [address, ts] of this.lastHeard) {
      if (ts < since || !d.devices.get(address).isRouter) continue;
      if (!routerQuery || ts > routerQuery.ts) routerQuery = { address, ts };
    }
    const p = process.platform;
    return {
      firstRun: !d.settings.saved && !d.settings.settings.progress.done,
      platform: p === 'linux' || p === 'darwin' || p === 'win32' ? p : 'other',
      addresses: survey.addresses,
      advice: survey.advice,
      routers,
      routerQuery,
      capturing: d.capture.isRecording,
      progress: d.settings.settings.progress,
    };
  }

  /**
   * Sends a real query to each of our UDP listeners and reports whether an upstream answered it, then whether
   * the router's own lookups arrive (routerReachResult). Never rejects.
   */
  async selfTest(): Promise<SelfTestResult[]> {
    const listeners = this.deps
      .forwarder()
      .listenerStatus()
      .filter((l) => l.transport === 'udp' && l.state === 'listening');
    const reach = routerReachResult(
      this.deps.devices.routerAddresses(),
      this.lastHeard,
      (a) => this.deps.devices.get(a).isRouter,
    );
    const results = await Promise.all(
      listeners.map(async (l) => {
        const host = targetOf(l);
        const name = selfTestName();
        const wait = selfTestWait();
        this.selfTests.set(name, wait);
        try {
          const outcome = await exchange(host, l.port, encodeQuery(name), SELF_TEST_TIMEOUT_MS);
          if (outcome) await within(wait.recorded, SELF_TEST_RECORD_WAIT_MS);
          return selfTestResult(host, l.port, outcome, wait.seen ?? undefined, SELF_TEST_TIMEOUT_MS);
        } finally {
          this.selfTests.delete(name);
        }
      }),
    );
    return reach ? [...results, reach] : results;
  }

  /** Saves what the user did on the router (and whether the assistant is done). Rejects when it cannot be written. */
  async saveProgress(change: SetupProgressChange): Promise<SetupProgress> {
    const progress = { ...this.deps.settings.settings.progress };
    for (const [k, v] of Object.entries(change)) if (v !== undefined) Object.assign(progress, { [k]: v });
    await this.deps.settings.save({ progress });
    return progress;
  }

  /**
   * What to set back on the router before this computer sleeps or the app quits, as plain text (for a dialog or
   * the terminal on quit): the warning and one line per setting, from what the user told the assistant. "" when
   * nothing says the router uses this computer (no change noted, no router query since the engine started).
   */
  restoreGuidance(): string {
    const progress = this.deps.settings.settings.progress;
    const heard = [...this.lastHeard.keys()].some((a) => this.deps.devices.get(a).isRouter);
    return progress.wanChanged || progress.dhcpChanged || heard ? restoreText(progress) : '';
  }
}

/** Resolves when `p` does or after `ms`, whichever comes first. */
function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
