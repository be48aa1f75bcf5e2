/**
 * A small test LAN made of Linux network namespaces: a bridge in the root namespace holding this computer's
 * side (10.123.X.1/24 and a ULA /64), and one namespace per test host, each joined to the bridge by a veth
 * pair with a MAC the test chooses. Names carry a random id, so parallel runs do not collide; `destroy`
 * removes every namespace and link it created.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireTool, run, waitFor, type RunResult } from './tools';

export interface LabHostSpec {
  readonly name: string;
  /** Hardware address of the host's interface, "aa:bb:cc:dd:ee:ff". */
  readonly mac: string;
}

export interface LabHost extends LabHostSpec {
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Interface name inside the namespace. */
  readonly iface: string;
}

export interface Lab {
  readonly bridge: string;
  /** This computer's address on the test LAN (IPv4, IPv6). */
  readonly ipv4: string;
  readonly ipv6: string;
  readonly hosts: readonly LabHost[];
  /** Runs a command inside the host's namespace. */
  exec(host: LabHost, cmd: string, args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Deletes every namespace and link of the lab; safe to call twice and after a failed create. */
  destroy(): Promise<void>;
}

async function ip(args: readonly string[]): Promise<void> {
  const r = await run('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** A 10.123.X.0/24 that no interface or route of this computer uses. */
async function freeSubnet(): Promise<number> {
  const used = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  for (let attempt = 0; attempt < 64; attempt++) {
    const x = randomBytes(1)[0]!;
    if (!used.includes(`10.123.${x}.`)) return x;
  }
  throw new Error('no free 10.123.X.0/24 subnet for the test LAN');
}

/**
 * Creates the lab. Fails with a message naming the cause and the fix when namespaces cannot be made (not
 * root, no CAP_NET_ADMIN, iproute2 missing): the tests that need it must fail, not skip.
 */
export async function createLab(specs: readonly LabHostSpec[]): Promise<Lab> {
  requireTool('ip', 'iproute2');
  if (process.getuid?.() !== 0)
    throw new Error(
      'network namespace tests need root (CAP_NET_ADMIN and CAP_SYS_ADMIN): ' +
        'run them as root or in a privileged container',
    );
  const id = randomBytes(3).toString('hex');
  const x = await freeSubnet();
  const bridge = `dnsw${id}br`;
  const namespaces: string[] = [];
  const links: string[] = [bridge];
  const v6prefix = `fd7b:123:${x.toString(16)}::`;
  const destroy = async () => {
    for (const ns of namespaces.splice(0)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    for (const link of links.splice(0)) await run('ip', ['link', 'del', link]).catch(() => undefined);
  };
  const hosts: LabHost[] = [];
  try {
    try {
      await ip(['link', 'add', bridge, 'type', 'bridge']);
    } catch (err) {
      links.splice(0);
      throw new Error(
        `cannot create the test bridge (${(err as Error).message}): the test needs CAP_NET_ADMIN`,
        {
          cause: err,
        },
      );
    }
    await ip(['addr', 'add', `10.123.${x}.1/24`, 'dev', bridge]);
    await ip(['-6', 'addr', 'add', `${v6prefix}1/64`, 'dev', bridge, 'nodad']);
    await ip(['link', 'set', bridge, 'up']);
    for (const [i, spec] of specs.entries()) {
      const ns = `dnsw-${id}-${spec.name}`;
      const outer = `dnsw${id}h${i}`;
      const inner = `dnsw${id}p${i}`;
      try {
        await ip(['netns', 'add', ns]);
      } catch (err) {
        throw new Error(
          `cannot create network namespace ${ns} (${(err as Error).message}): the test needs root`,
          {
            cause: err,
          },
        );
      }
      namespaces.push(ns);
      await ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
      links.push(outer);
      await ip(['link', 'set', inner, 'netns', ns]);
      await ip(['link', 'set', outer, 'master', bridge, 'up']);
      const host: LabHost = {
        ...spec,
        ns,
        iface: inner,
        ipv4: `10.123.${x}.${10 + i}`,
        ipv6: `${v6prefix}${(0x10 + i).toString(16)}`,
      };
      await ip(['-n', ns, 'link', 'set', 'dev', inner, 'address', spec.mac]);
      await ip(['-n', ns, 'addr', 'add', `${host.ipv4}/24`, 'dev', inner]);
      await ip(['-n', ns, '-6', 'addr', 'add', `${host.ipv6}/64`, 'dev', inner, 'nodad']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', ns, 'link', 'set', inner, 'up']);
      hosts.push(host);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    bridge,
    ipv4: `10.123.${x}.1`,
    ipv6: `${v6prefix}1`,
    hosts,
    exec: (host, cmd, args, timeoutMs) => run('ip', ['netns', 'exec', host.ns, cmd, ...args], timeoutMs),
    destroy,
  };
}

/** A dnsmasq running inside a lab host's namespace as that host's DNS server (a router's, say). */
export interface HostDnsmasq {
  /** Stops it (SIGTERM) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq inside `host`'s namespace on port 53 of its IPv4 address (and IPv6 with `ipv6`), with
 * nothing of this computer's configuration, plus `args` (records, --server=…), and waits until it listens.
 * Fails with dnsmasq's own words when it exits instead.
 */
export async function startHostDnsmasq(
  lab: Lab,
  host: LabHost,
  args: readonly string[],
  opts: { readonly ipv6?: boolean } = {},
): Promise<HostDnsmasq> {
  requireTool('dnsmasq', 'dnsmasq-base');
  const proc = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.ns,
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${host.ipv4}`,
      ...(opts.ipv6 ? [`--listen-address=${host.ipv6}`] : []),
      '--port=53',
      '--pid-file=',
      '--user=root',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`dnsmasq in ${host.ns} exited: ${stderr.trim()}`);
        const r = await lab.exec(host, 'ss', ['-lun']);
        return r.stdout.includes(`${host.ipv4}:53`) ? true : undefined;
      },
      10_000,
      `dnsmasq in ${host.ns} to listen on port 53`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
