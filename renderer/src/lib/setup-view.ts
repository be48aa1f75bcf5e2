/** Pure helpers for the setup assistant and the restore guidance. */
import type { CaptureInfo } from '@shared/events';
import type { LanAddress, SetupProgress, SetupState } from '@shared/setup';
import { isLoopback } from './status-summary';

/**
 * The address to give the router: one DNS Witness answers on at port 53, IPv4 first (router DNS fields
 * usually take IPv4 only); else any IPv4 address of this computer; null when there is none.
 */
export function routerTarget(addresses: readonly LanAddress[]): LanAddress | null {
  const v4 = addresses.filter((a) => a.family === 4);
  return (
    v4.find((a) => a.state === 'listening' && a.port === 53) ??
    addresses.find((a) => a.state === 'listening' && a.port === 53) ??
    v4.find((a) => a.state === 'listening') ??
    v4[0] ??
    null
  );
}

/**
 * Whether the router may now depend on this computer, so stopping must remind the user to restore it: the
 * router's queries arrived here, or the setup assistant was used (opened in this page, or anything noted in
 * it: a brand, a changed or previous setting), even when nothing was ticked.
 */
export function routerPointed(
  progress: SetupProgress,
  routerSeen: boolean,
  assistantOpened = false,
): boolean {
  return (
    routerSeen ||
    assistantOpened ||
    progress.wanChanged ||
    progress.dhcpChanged ||
    progress.brand !== '' ||
    progress.previousWan !== '' ||
    progress.previousDhcp !== ''
  );
}

/** True when the capture went from running to stopped between two status updates. */
export function captureStopped(
  before: CaptureInfo | null | undefined,
  after: CaptureInfo | null | undefined,
): boolean {
  return (
    before?.state === 'running' && (after === null || after?.state === 'stopped' || after?.id !== before.id)
  );
}

/** "12:34:56" in local time. */
export function clockTime(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * The address the router can be given as its DNS server: a LAN (not loopback) address where DNS Witness
 * answers on port 53, IPv4 first; null when there is none yet.
 */
export function answeringLanAddress(addresses: readonly LanAddress[]): LanAddress | null {
  const ok = addresses.filter((a) => a.state === 'listening' && a.port === 53 && !isLoopback(a.address));
  return ok.find((a) => a.family === 4) ?? ok[0] ?? null;
}

/** The command that sends one test query to `address`:`port` on this OS (Windows has nslookup, not dig). */
export function checkCommand(platform: SetupState['platform'], address: string, port: number): string {
  if (platform === 'win32') return `nslookup ${port === 53 ? '' : `-port=${port} `}example.com ${address}`;
  return `dig @${address}${port === 53 ? '' : ` -p ${port}`} example.com`;
}
