/** What the port-53 advice tests share: the input of a Linux machine listening on a LAN address. */
import type { BindFailure, DiagnoseInput } from './diagnose';

/** The failure the forwarder reports for `err` on host:port over UDP. */
export function failureOf(err: NodeJS.ErrnoException, host: string, port: number): BindFailure {
  return { host, port, transport: 'udp', code: err.code ?? '' };
}

/** Node on Linux, the default unprivileged port start, listening on 192.168.0.23:53; no failures yet. */
export const LINUX_BASE: DiagnoseInput = {
  platform: 'linux',
  execPath: '/usr/bin/node',
  runtime: 'node',
  failures: [],
  holders: [],
  listen: [{ host: '192.168.0.23', port: 53 }],
  unprivilegedPortStart: 1024,
};
