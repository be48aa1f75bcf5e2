import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, requireTool, run, waitFor } from './tools';

/** 3 × 255-byte strings: an answer over 512 bytes, to exercise truncation and TCP. */
export const BIG_TXT = ['a', 'b', 'c'].map((c) => c.repeat(250));

/**
 * The local data the test upstream serves: authoritative-only, never recursive, never the internet.
 * `--local=/test/` makes unknown names under test. NXDOMAIN.
 */
export const ZONE_ARGS = [
  '--host-record=www.example.test,192.0.2.10,2001:db8::10',
  '--host-record=router.example.test,192.0.2.1',
  '--mx-host=example.test,mail.example.test,10',
  // No shell is involved: quotes would become part of the strings.
  '--txt-record=txt.example.test,v=spf1 -all,hello world',
  `--txt-record=big.example.test,${BIG_TXT.join(',')}`,
  // A watched name (Avira SafeThings), served locally so tests never leave loopback.
  '--host-record=dfp-dual.safethings.avira.com,192.0.2.77',
  '--address=/safethings.avira.com/192.0.2.78',
  '--address=/wild.example.test/192.0.2.99',
  '--local=/test/',
];

export interface Dnsmasq {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts Debian's dnsmasq on 127.0.0.1 with ZONE_ARGS (plus `extra`), waits until it answers. */
export async function startDnsmasq(extra: readonly string[] = []): Promise<Dnsmasq> {
  requireTool('dnsmasq', 'dnsmasq-base');
  requireTool('dig', 'bind9-dnsutils');
  const port = await freePort();
  const child: ChildProcess = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--no-dhcp-interface=',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      '--pid-file=',
      '--user=root',
      '--cache-size=0',
      ...ZONE_ARGS,
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(
    async () => {
      if (exited) throw new Error(`dnsmasq exited: ${stderr.trim()}`);
      const r = await run('dig', [
        '@127.0.0.1',
        '-p',
        String(port),
        '+tries=1',
        '+time=1',
        '+short',
        'www.example.test',
      ]);
      return r.stdout.includes('192.0.2.10') ? true : undefined;
    },
    10_000,
    'dnsmasq to answer',
  );
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
