/**
 * Who holds UDP port 53 on this computer, from the OS's own tools: `ss` (or /proc/net/udp when ss is missing)
 * on Linux, `lsof` on macOS, `netstat -ano` plus `tasklist /svc` on Windows. The parsers are pure and tested
 * against recorded output (testdata/); `port53Holders` runs the tools and never rejects.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** One socket bound to the port. */
export interface SocketHolder {
  /** The bound address: "127.0.0.53", "::1", "0.0.0.0" / "::" for every address, "*" for both families. */
  readonly address: string;
  readonly port: number;
  /** Program name as the tool shows it ("systemd-resolve", "dnsmasq", "svchost.exe"); "" when not visible. */
  readonly process: string;
  /** 0 when not visible (e.g. another user's process without root). */
  readonly pid: number;
  /** Windows services hosted by that process ("SharedAccess"); empty elsewhere. */
  readonly services: readonly string[];
}

/** "[::1]:53", "127.0.0.53%lo:53", "*:53" → address and port; null when it is not that. */
function splitLocal(text: string): { address: string; port: number } | null {
  const m = /^(.*):(\d+|\*)$/.exec(text.trim());
  if (!m || m[2] === '*') return null;
  let address = m[1]!;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  return { address, port: Number(m[2]) };
}

/** `ss -Hlunp` (or -Hltnp) output → one holder per socket. Lines without a users:(…) part have no process. */
export function parseSs(out: string): SocketHolder[] {
  const holders: SocketHolder[] = [];
  for (const line of out.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    // State Recv-Q Send-Q Local Peer [Process]; the header (without -H) has "Local Address:Port" split in two.
    if (cols.length < 5 || cols[0] === 'State') continue;
    const local = splitLocal(cols[3]!);
    if (!local) continue;
    const user = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(line);
    holders.push({ ...local, process: user?.[1] ?? '', pid: user ? Number(user[2]) : 0, services: [] });
  }
  return holders;
}

/** One /proc/net/udp{,6} hex address (kernel byte order, 32-bit words) → text. */
function procAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Compress the longest run of zero groups, as the usual text form does (RFC 5952 §4.2).
  const text = groups.join(':');
  const runs = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length);
  const best = runs[0];
  if (!best) return text;
  return `${text.slice(0, best.index)}::${text.slice(best.index + best[0].length)}`.replace(/^:::?/, '::');
}

/**
 * /proc/net/udp or /proc/net/udp6 → the sockets bound to `port` (no process names: /proc/net does not say).
 * Used where `ss` is missing.
 */
export function parseProcNetUdp(text: string, port: number): SocketHolder[] {
  const holders: SocketHolder[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s/.exec(line);
    if (!m || parseInt(m[2]!, 16) !== port) continue;
    holders.push({ address: procAddress(m[1]!), port, process: '', pid: 0, services: [] });
  }
  return holders;
}

/** `lsof -nP -iUDP:53` (macOS, Linux) → holders; lsof shortens names to 9 characters ("systemd-r", "mDNSRespo"). */
export function parseLsof(out: string): SocketHolder[] {
  const holders: SocketHolder[] = [];
  for (const line of out.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 9 || cols[0] === 'COMMAND' || !/^\d+$/.test(cols[1]!)) continue;
    const name = cols[cols.length - 1]!;
    const local = splitLocal(name.split('->')[0]!);
    if (!local) continue;
    holders.push({ ...local, process: cols[0]!, pid: Number(cols[1]), services: [] });
  }
  return holders;
}

/** `netstat -ano -p UDP` (Windows) → holders of `port`, process unknown until tasklist names the pid. */
export function parseNetstatAno(out: string, port: number): SocketHolder[] {
  const holders: SocketHolder[] = [];
  for (const line of out.split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !/^(UDP|TCP)$/i.test(cols[0]!)) continue;
    const local = splitLocal(cols[1]!);
    const pid = cols[cols.length - 1]!;
    if (!local || local.port !== port || !/^\d+$/.test(pid)) continue;
    holders.push({ ...local, process: '', pid: Number(pid), services: [] });
  }
  return holders;
}

/** `tasklist /svc /fo csv /nh` lines → pid → image name and the services it hosts. */
export function parseTasklistSvc(out: string): Map<number, { process: string; services: string[] }> {
  const byPid = new Map<number, { process: string; services: string[] }>();
  for (const line of out.split(/\r?\n/)) {
    const cells = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    if (cells.length < 3 || !/^\d+$/.test(cells[1]!)) continue;
    const services = cells[2] === 'N/A' ? [] : cells[2]!.split(',').map((s) => s.trim());
    byPid.set(Number(cells[1]), { process: cells[0]!, services: services.filter((s) => s !== '') });
  }
  return byPid;
}

/** Collapses the per-family duplicates tools print (one line per fd) into one holder per address. */
function unique(holders: readonly SocketHolder[]): SocketHolder[] {
  const seen = new Map<string, SocketHolder>();
  for (const h of holders) {
    const key = `${h.address} ${h.port} ${h.pid}`;
    if (!seen.has(key)) seen.set(key, h);
  }
  return [...seen.values()];
}

type Run = (cmd: string, args: readonly string[]) => Promise<string | null>;

/** Runs a tool with a short timeout; null when it is missing or fails. */
const runTool: Run = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 2000, windowsHide: true }, (err, stdout) =>
      resolve(err ? null : String(stdout)),
    );
  });

/**
 * Every UDP socket bound to `port` on this computer, with the program where the OS tells us (root or the same
 * user on Linux and macOS; always on Windows). Empty when no tool could tell. Never rejects.
 */
export async function portHolders(
  port: number,
  platform: NodeJS.Platform = process.platform,
  run: Run = runTool,
): Promise<SocketHolder[]> {
  if (platform === 'linux') {
    const ss = await run('ss', ['-Hlunp', `sport = :${port}`]);
    if (ss !== null) return unique(parseSs(ss));
    const tables = await Promise.all(
      ['/proc/net/udp', '/proc/net/udp6'].map((f) => readFile(f, 'utf8').catch(() => '')),
    );
    return unique(tables.flatMap((t) => parseProcNetUdp(t, port)));
  }
  if (platform === 'darwin') {
    const out = await run('lsof', ['-nP', `-iUDP:${port}`]);
    return out === null ? [] : unique(parseLsof(out));
  }
  if (platform === 'win32') {
    const out = await run('netstat', ['-ano', '-p', 'UDP']);
    const v6 = await run('netstat', ['-ano', '-p', 'UDPv6']);
    const holders = unique([...parseNetstatAno(out ?? '', port), ...parseNetstatAno(v6 ?? '', port)]);
    const pids = [...new Set(holders.map((h) => h.pid))];
    const names = new Map<number, { process: string; services: string[] }>();
    for (const pid of pids) {
      const list = await run('tasklist', ['/svc', '/fo', 'csv', '/nh', '/fi', `PID eq ${pid}`]);
      for (const [p, info] of parseTasklistSvc(list ?? '')) names.set(p, info);
    }
    return holders.map((h) => ({ ...h, ...(names.get(h.pid) ?? {}) }));
  }
  return [];
}

/** True when a socket bound to `holder.address` covers `address` (the same, or the family's wildcard). */
export function covers(holder: SocketHolder, address: string): boolean {
  if (holder.address === address || holder.address === '*') return true;
  // A dual-stack [::] socket takes IPv4 too, but the tools do not say which it is; a failed bind will.
  return address.includes(':') ? holder.address === '::' : holder.address === '0.0.0.0';
}

/** "systemd-resolve (pid 512)", "svchost.exe (pid 3644, service SharedAccess)", "pid 3644", or "". */
export function holderLabel(h: SocketHolder): string {
  const pid = h.pid > 0 ? `pid ${h.pid}` : '';
  const services = h.services.length > 0 ? `service ${h.services.join(', ')}` : '';
  const detail = [pid, services].filter((s) => s !== '').join(', ');
  if (h.process === '') return detail;
  return detail === '' ? h.process : `${h.process} (${detail})`;
}
