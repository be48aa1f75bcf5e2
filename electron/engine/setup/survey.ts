/**
 * Gathers what the assistant shows about port 53 on this computer: the LAN addresses with the port's state on
 * each, and the diagnosis of whatever is in the way (bind errors, the socket table, the Linux sysctl).
 */
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import os from 'node:os';
import type { ListenerStatus } from '@shared/events';
import type { LanAddress, SetupAdvice } from '@shared/setup';
import type { ListenSpec, ListenerFailure } from '../dns/forwarder';
import { diagnosePort53 } from './diagnose';
import { addressStates, lanAddresses } from './lan';
import { portHolders } from './sockets';

export interface Survey {
  readonly addresses: readonly LanAddress[];
  readonly advice: readonly SetupAdvice[];
}

/** Linux's lowest unprivileged port; null when it cannot be read (not Linux). */
async function unprivilegedPortStart(): Promise<number | null> {
  try {
    const n = Number((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

function linuxFirewall(): 'ufw' | 'firewalld' | null {
  if (['/usr/sbin/ufw', '/sbin/ufw'].some((p) => existsSync(p))) return 'ufw';
  if (['/usr/sbin/firewalld', '/usr/bin/firewall-cmd'].some((p) => existsSync(p))) return 'firewalld';
  return null;
}

/** Surveys port 53 on this computer for the given listeners. Never rejects. */
export async function surveyPort53(
  listeners: readonly ListenerStatus[],
  failures: readonly ListenerFailure[],
  listen: readonly ListenSpec[],
  platform: NodeJS.Platform = process.platform,
): Promise<Survey> {
  const holders = await portHolders(53, platform);
  const { rows, probeFailures } = await addressStates(
    lanAddresses(os.networkInterfaces()),
    listeners,
    holders,
  );
  const execPath = await realpath(process.execPath).catch(() => process.execPath);
  const advice = diagnosePort53({
    platform,
    execPath,
    runtime: process.versions.electron ? 'electron' : 'node',
    appImage: typeof process.env.APPIMAGE === 'string',
    // A probe that finds a free address taken says nothing about the addresses DNS Witness uses; one that needs
    // permission says what binding port 53 there would need.
    failures: [...failures, ...probeFailures.filter((f) => f.code === 'EACCES' || f.code === 'EPERM')],
    holders,
    listen,
    ownPid: process.pid,
    unprivilegedPortStart: platform === 'linux' ? await unprivilegedPortStart() : null,
    firewall: platform === 'linux' ? linuxFirewall() : null,
  });
  return { addresses: rows, advice };
}
