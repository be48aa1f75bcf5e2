/**
 * What stands between DNS Witness and port 53 on this OS, as advice with the exact commands: the privileged
 * port on Linux and macOS, Windows' reserved ranges and firewall prompt, and the programs that commonly hold
 * the port (systemd-resolved, dnsmasq, Windows Internet Connection Sharing, macOS Internet Sharing). Pure: the
 * caller gathers the bind errors, the socket table and the sysctl.
 */
import type { Transport } from '@shared/events';
import { formatAddressPort } from '@shared/config';
import type { SetupAdvice } from '@shared/setup';
import { covers, holderLabel, type SocketHolder } from './sockets';

/** A bind that failed: ours, or a probe of a free address. */
export interface BindFailure {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
  /** errno code: EACCES, EPERM, EADDRINUSE, EADDRNOTAVAIL, … */
  readonly code: string;
}

export interface DiagnoseInput {
  readonly platform: NodeJS.Platform;
  /** Real path of the binary that binds the port: node for `serve`, the app's executable on the desktop. */
  readonly execPath: string;
  readonly runtime: 'node' | 'electron';
  /** Linux: the app runs from an AppImage, whose mounted binary cannot carry a file capability. */
  readonly appImage?: boolean;
  readonly failures: readonly BindFailure[];
  /** Sockets on the DNS port (see portHolders). */
  readonly holders: readonly SocketHolder[];
  /** The addresses DNS Witness is set to listen on. */
  readonly listen: readonly { readonly host: string; readonly port: number }[];
  /** Linux: net.ipv4.ip_unprivileged_port_start; null when unknown. */
  readonly unprivilegedPortStart?: number | null;
  /** This process, whose own sockets are not in the way. */
  readonly ownPid?: number;
  /** Linux: a firewall front end is installed. */
  readonly firewall?: 'ufw' | 'firewalld' | null;
}

const DNS_PORT = 53;
const WILDCARDS = new Set(['0.0.0.0', '::', '*']);

/** Commands that persist the sysctl across reboots, then apply it now. */
const SYSCTL_PERSIST = [
  "echo 'net.ipv4.ip_unprivileged_port_start=53' | sudo tee /etc/sysctl.d/60-dns-witness.conf",
  'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=53',
];

function permissionAdvice(input: DiagnoseInput, failed: readonly BindFailure[]): SetupAdvice[] {
  const where = [...new Set(failed.map((f) => formatAddressPort(f.host, f.port)))].join(', ');
  if (input.platform === 'linux') {
    const start = input.unprivilegedPortStart ?? 1024;
    const setcap = `sudo setcap 'cap_net_bind_service=+ep' ${quotePath(input.execPath)}`;
    const electron = input.runtime === 'electron';
    // An AppImage's binary lives in a read-only mount; the sysctl is the only fix that survives.
    const commands = input.appImage
      ? SYSCTL_PERSIST
      : electron
        ? [...SYSCTL_PERSIST, setcap]
        : [setcap, ...SYSCTL_PERSIST];
    return [
      {
        id: 'linux-privileged-port',
        severity: 'error',
        title: 'Port 53 needs permission on Linux',
        text:
          `Cannot listen on ${where}: Linux lets ordinary programs use only ports from ${start} up ` +
          `(net.ipv4.ip_unprivileged_port_start = ${start}). Run ONE of these once, then restart DNS Witness. ` +
          (input.appImage
            ? 'The sysctl allows port 53 to every program of every user (the first line keeps it after a reboot).'
            : `setcap allows it to ${input.execPath} only (redo it after that file is updated); the sysctl allows ` +
              'port 53 to every program (the tee line keeps it after a reboot).'),
        commands,
      },
      {
        id: 'other-port',
        severity: 'info',
        title: 'Or listen on another port (testing only)',
        text:
          'With another port, e.g. --listen ADDR:5353 or in Settings, your router cannot use DNS Witness: a ' +
          'router’s DNS setting takes an address only and always asks port 53. Only devices you point at the port by ' +
          'hand (dig -p 5353) reach it, unless port 53 is redirected to it as root:',
        commands: [
          'sudo iptables -t nat -A PREROUTING -p udp --dport 53 -j REDIRECT --to-ports 5353',
          'sudo iptables -t nat -A PREROUTING -p tcp --dport 53 -j REDIRECT --to-ports 5353',
        ],
      },
    ];
  }
  if (input.platform === 'darwin')
    return [
      {
        id: 'macos-privileged-port',
        severity: 'error',
        title: 'Port 53 on one address needs administrator rights on macOS',
        text:
          `Cannot listen on ${where}: macOS lets any program listen on port 53 on all addresses (0.0.0.0), but on ` +
          'one specific address only as root. In Settings set the listen address to 0.0.0.0:53 (and [::]:53), or ' +
          'start the service like this:',
        commands: ['npm run serve -- --listen 0.0.0.0:53 --listen [::]:53'],
      },
    ];
  if (input.platform === 'win32')
    return [
      {
        id: 'windows-excluded-port',
        severity: 'error',
        title: 'Windows refused port 53',
        text:
          `Cannot listen on ${where}: access denied. Windows reserves port ranges for Hyper-V and WinNAT, and ` +
          'security software can block the port. See the reserved ranges, and restart WinNAT to release them ' +
          '(in a terminal run as Administrator):',
        commands: [
          'netsh interface ipv4 show excludedportrange protocol=udp',
          'net stop winnat',
          'net start winnat',
        ],
      },
    ];
  return [
    {
      id: 'privileged-port',
      severity: 'error',
      title: 'Port 53 needs permission',
      text: `Cannot listen on ${where}: permission denied. Run DNS Witness with the right to use ports below 1024.`,
      commands: [],
    },
  ];
}

/** Quotes a path for a POSIX shell when it needs it. */
function quotePath(p: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(p) ? p : `'${p.replaceAll("'", "'\\''")}'`;
}

function addressesOf(holders: readonly SocketHolder[]): string {
  return [
    ...new Set(holders.map((h) => formatAddressPort(h.address === '*' ? '0.0.0.0' : h.address, h.port))),
  ].join(', ');
}

/** Whether the holder's sockets stand in the way of an address DNS Witness wants (or of every address). */
function conflicts(holders: readonly SocketHolder[], wanted: readonly string[]): boolean {
  // Listening on every address (0.0.0.0 / ::) collides with any socket of that family on the port.
  const family = (a: string) => (a.includes(':') ? 6 : 4);
  return holders.some(
    (h) =>
      WILDCARDS.has(h.address) ||
      wanted.some((a) => covers(h, a) || (WILDCARDS.has(a) && family(a) === family(h.address))),
  );
}

function findCommand(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `sudo lsof -nP -iUDP:${DNS_PORT}`;
  if (platform === 'win32') return 'netstat -ano -p UDP | findstr ":53 "';
  return `sudo ss -lunp 'sport = :${DNS_PORT}'`;
}

function holderAdvice(input: DiagnoseInput, wanted: readonly string[]): SetupAdvice[] {
  const advice: SetupAdvice[] = [];
  const groups = new Map<string, SocketHolder[]>();
  for (const h of input.holders) {
    // Our own listeners are not in the way.
    if (h.pid !== 0 && h.pid === input.ownPid) continue;
    const key = h.services.includes('SharedAccess')
      ? 'ics'
      : h.process.startsWith('systemd-r')
        ? 'resolved'
        : h.process === 'dnsmasq'
          ? 'dnsmasq'
          : h.process.startsWith('mDNSRespo')
            ? 'internet-sharing'
            : `other ${h.pid} ${h.process}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  for (const [key, hs] of groups) {
    const at = addressesOf(hs);
    const label = holderLabel(hs[0]!);
    const blocking = conflicts(hs, wanted);
    if (key === 'resolved') {
      advice.push({
        id: 'systemd-resolved',
        severity: blocking ? 'warning' : 'info',
        title: 'systemd-resolved answers this computer’s own lookups',
        text: blocking
          ? `${label} holds ${at}, which DNS Witness was asked to use. Listen on this computer’s LAN address instead ` +
            '(recommended: Settings, or --listen 192.168.x.y:53), or switch off its stub listener (then point ' +
            '/etc/resolv.conf at /run/systemd/resolve/resolv.conf):'
          : `${label} holds ${at} only. DNS Witness listens on each address separately, so both work side by side; ` +
            'do not set the listen address to 0.0.0.0.',
        commands: blocking
          ? [
              'sudo mkdir -p /etc/systemd/resolved.conf.d',
              "printf '[Resolve]\\nDNSStubListener=no\\n' | sudo tee /etc/systemd/resolved.conf.d/dns-witness.conf",
              'sudo systemctl restart systemd-resolved',
            ]
          : [],
      });
    } else if (key === 'dnsmasq') {
      const everywhere = hs.some((h) => WILDCARDS.has(h.address));
      advice.push({
        id: 'dnsmasq',
        severity: everywhere ? 'error' : blocking ? 'warning' : 'info',
        title: everywhere
          ? 'dnsmasq holds port 53 on every address'
          : 'dnsmasq holds port 53 on some addresses',
        text: everywhere
          ? `${label} listens on ${at}, which blocks port 53 on all of this computer’s addresses. Stop it, or make it ` +
            'listen only where it is needed by adding “bind-interfaces” and “listen-address=127.0.0.1” to ' +
            '/etc/dnsmasq.conf, then restart it:'
          : blocking
            ? `${label} holds ${at}, which DNS Witness was asked to use. Use another address of this computer, or ` +
              'stop dnsmasq:'
            : `${label} holds ${at} only (libvirt’s or NetworkManager’s private network, typically); DNS Witness can ` +
              'use the other addresses.',
        commands: everywhere
          ? ['sudo systemctl stop dnsmasq', 'sudo systemctl restart dnsmasq']
          : blocking
            ? ['sudo systemctl stop dnsmasq']
            : [],
      });
    } else if (key === 'ics') {
      advice.push({
        id: 'windows-ics',
        severity: blocking ? 'error' : 'info',
        title: 'Windows Internet Connection Sharing answers DNS',
        text:
          `${label} holds ${at}: Internet Connection Sharing (also behind Mobile hotspot and Hyper-V’s Default ` +
          'Switch) answers DNS for the computers it shares with. ' +
          (blocking
            ? 'It blocks the address DNS Witness needs. Turn off Mobile hotspot (Settings → Network & internet), or ' +
              'stop the service in PowerShell run as Administrator:'
            : 'It holds only its own adapters’ addresses; DNS Witness can use your LAN address.'),
        commands: blocking ? ['Stop-Service SharedAccess'] : [],
      });
    } else if (key === 'internet-sharing') {
      advice.push({
        id: 'macos-internet-sharing',
        severity: blocking ? 'error' : 'info',
        title: 'macOS Internet Sharing answers DNS',
        text:
          `${label} holds ${at} for Internet Sharing. ` +
          (blocking
            ? 'Turn off Internet Sharing (System Settings → General → Sharing) while DNS Witness runs.'
            : 'It holds only the shared network’s addresses; DNS Witness can use your LAN address.'),
        commands: [],
      });
    } else if (blocking) {
      advice.push({
        id: `port-in-use-${hs[0]!.pid || hs[0]!.process || 'unknown'}`,
        severity: 'error',
        title: `${label || 'Another program'} holds port 53`,
        text: `${label || 'Another program'} listens on ${at}. Stop it, or let DNS Witness listen on another address of this computer.`,
        commands: [],
      });
    }
  }
  return advice;
}

function firewallAdvice(input: DiagnoseInput): SetupAdvice[] {
  if (input.platform === 'win32') {
    const rule = (proto: string) =>
      `netsh advfirewall firewall add rule name="DNS Witness (DNS ${proto})" dir=in action=allow ` +
      `program="${input.execPath}" protocol=${proto} localport=53 profile=private`;
    return [
      {
        id: 'windows-firewall',
        severity: 'info',
        title: 'Allow DNS Witness through Windows Defender Firewall',
        text:
          'The first time DNS Witness listens, Windows asks whether to allow it: tick “Private networks” and click ' +
          '“Allow access”. If you dismissed that prompt, the router cannot reach this computer; allow it in a ' +
          'terminal run as Administrator (and set your network to Private in Settings → Network & internet):',
        commands: [rule('UDP'), rule('TCP')],
      },
    ];
  }
  if (input.platform === 'darwin')
    return [
      {
        id: 'macos-firewall',
        severity: 'info',
        title: 'macOS firewall',
        text:
          'If the firewall is on (System Settings → Network → Firewall), allow incoming connections for DNS Witness ' +
          'when macOS asks, or add it yourself:',
        commands: [
          `sudo /usr/libexec/ApplicationFirewall/socketfilterfw --add "${input.execPath}"`,
          `sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp "${input.execPath}"`,
        ],
      },
    ];
  if (input.platform === 'linux' && input.firewall)
    return [
      {
        id: 'linux-firewall',
        severity: 'info',
        title: `Allow DNS through ${input.firewall}`,
        text: 'If the firewall is active, let your network reach port 53 on this computer:',
        commands:
          input.firewall === 'ufw'
            ? [
                'sudo ufw allow proto udp from 192.168.0.0/16 to any port 53',
                'sudo ufw allow proto tcp from 192.168.0.0/16 to any port 53',
              ]
            : ['sudo firewall-cmd --add-service=dns', 'sudo firewall-cmd --runtime-to-permanent'],
      },
    ];
  return [];
}

/**
 * Advice for what keeps port 53 from DNS Witness on this OS, most severe first, each with the exact commands.
 * Empty when nothing is in the way and there is nothing platform-specific to know. Never throws.
 */
export function diagnosePort53(input: DiagnoseInput): SetupAdvice[] {
  const denied = input.failures.filter((f) => f.code === 'EACCES' || f.code === 'EPERM');
  const inUse = input.failures.filter((f) => f.code === 'EADDRINUSE');
  const wanted = [...new Set([...input.listen.map((l) => l.host), ...inUse.map((f) => f.host)])];
  const advice = [
    ...(denied.length > 0 ? permissionAdvice(input, denied) : []),
    ...holderAdvice(input, wanted),
  ];
  // A port in use by a program the OS would not name (another user's, without root).
  const named = new Set(input.holders.map((h) => h.address));
  const unnamed = inUse.filter(
    (f) => !input.holders.some((h) => h.process !== '' && (covers(h, f.host) || h.address === f.host)),
  );
  if (unnamed.length > 0 && !advice.some((a) => a.severity === 'error'))
    advice.push({
      id: 'port-in-use',
      severity: 'error',
      title: 'Another program holds port 53',
      text:
        `Cannot listen on ${[...new Set(unnamed.map((f) => formatAddressPort(f.host, f.port)))].join(', ')}: the ` +
        `port is in use${named.size > 0 ? '' : ' by a program this user cannot see'}. Find it with:`,
      commands: [findCommand(input.platform)],
    });
  advice.push(...firewallAdvice(input));
  const order = { error: 0, warning: 1, info: 2 } as const;
  return advice.sort((a, b) => order[a.severity] - order[b.severity]);
}
