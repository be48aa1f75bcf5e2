import { execFile } from 'node:child_process';
import type { Transport } from '@shared/events';
import { formatHostPort } from './upstream';

/** Who holds a port, as far as the OS tells an unprivileged user; "" when unknown. Never rejects. */
export function findPortHolder(
  port: number,
  transport: Transport,
  platform = process.platform,
): Promise<string> {
  const run = (cmd: string, args: string[]) =>
    new Promise<string>((resolve) => {
      execFile(cmd, args, { timeout: 1500, windowsHide: true }, (err, stdout) =>
        resolve(err ? '' : String(stdout)),
      );
    });
  if (platform === 'linux') {
    return run('ss', ['-Hlpn', transport === 'udp' ? '-u' : '-t', `sport = :${port}`]).then(parseSsHolder);
  }
  if (platform === 'darwin') {
    return run('lsof', ['-nP', `-i${transport.toUpperCase()}:${port}`]).then(parseLsofHolder);
  }
  if (platform === 'win32') {
    return run('netstat', ['-ano', '-p', transport]).then((out) => parseNetstatPid(out, port));
  }
  return Promise.resolve('');
}

/** `ss -Hlpn` line → `systemd-resolve (pid 512)`; "" when ss could not see the process. */
export function parseSsHolder(out: string): string {
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
  return m ? `${m[1]} (pid ${m[2]})` : '';
}

/** `lsof -nP -i` output → `mDNSResponder (pid 123)`. */
export function parseLsofHolder(out: string): string {
  const line = out.split('\n').find((l) => l.trim() && !l.startsWith('COMMAND'));
  const parts = line?.trim().split(/\s+/);
  return parts && parts.length > 1 ? `${parts[0]} (pid ${parts[1]})` : '';
}

/** `netstat -ano` output → `pid 4321` for the first socket bound to `port`. */
export function parseNetstatPid(out: string, port: number): string {
  for (const line of out.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 4 && cols[1]?.endsWith(`:${port}`)) return `pid ${cols[cols.length - 1]}`;
  }
  return '';
}

/**
 * One clear line for a failed bind: what happened, why, and the exact fix for this OS.
 * `holder` is what findPortHolder found ("" when unknown).
 */
export function describeBindError(
  err: NodeJS.ErrnoException,
  host: string,
  port: number,
  transport: Transport,
  holder: string,
  platform = process.platform,
  execPath = process.execPath,
): string {
  const where = `${formatHostPort(host, port)} (${transport.toUpperCase()})`;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      if (platform === 'linux')
        return (
          `Cannot listen on ${where}: ports below 1024 need permission on Linux. Fix: ` +
          `sudo setcap cap_net_bind_service=+ep ${execPath}  (or: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=53), ` +
          `or use --listen ADDR:5353 for testing (routers can only be pointed at port 53).`
        );
      if (platform === 'darwin')
        return `Cannot listen on ${where}: macOS allows port ${port} only to administrators on this address. Fix: run with sudo, or use --listen 0.0.0.0:${port}.`;
      if (platform === 'win32')
        return `Cannot listen on ${where}: Windows reserves this port or a firewall policy blocks it. Check: netsh interface ipv4 show excludedportrange protocol=${transport}`;
      return `Cannot listen on ${where}: permission denied (${err.code}).`;
    case 'EADDRINUSE': {
      const who = holder ? ` by ${holder}` : '';
      const hint = holderFix(holder, platform, port, transport);
      return `Cannot listen on ${where}: the port is already in use${who}. ${hint}`;
    }
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where}: this computer has no such address (network changed?). Fix: pick an address from your network settings or omit --listen.`;
    case 'EAFNOSUPPORT':
      return `Cannot listen on ${where}: IPv6 is not available on this computer.`;
    default:
      return `Cannot listen on ${where}: ${err.code ?? ''} ${err.message}`.trim();
  }
}

function holderFix(holder: string, platform: string, port: number, transport: Transport): string {
  const name = holder.split(' ')[0] ?? '';
  if (name.startsWith('systemd-resolve'))
    return "systemd-resolved listens there; it normally holds only 127.0.0.53, so listen on this computer's LAN address (--listen 192.168.x.y:53), or set DNSStubListener=no in /etc/systemd/resolved.conf and run: sudo systemctl restart systemd-resolved";
  if (name === 'dnsmasq')
    return 'Fix: stop it (sudo systemctl stop dnsmasq) or make it bind only its own interfaces (bind-interfaces), or listen on another address.';
  if (platform === 'win32')
    return `Fix: find the program with: tasklist /FI "PID eq ${holder.replace(/\D/g, '') || 'N'}" (Internet Connection Sharing often holds port 53), stop it, or listen on another address.`;
  if (holder) return 'Fix: stop that program, or listen on another address with --listen.';
  const check =
    platform === 'darwin'
      ? `sudo lsof -nP -i${transport.toUpperCase()}:${port}`
      : platform === 'win32'
        ? 'netstat -ano'
        : `sudo ss -lpn 'sport = :${port}'`;
  return `Find the program with: ${check}; stop it, or listen on another address with --listen.`;
}
