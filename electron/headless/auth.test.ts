import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chooseStreamProtocol,
  hostAllowed,
  isLoopbackAddress,
  startCommand,
  loadOrCreateToken,
  localAddressCache,
  TOKEN_FILE,
  tokenMatches,
} from './auth';

const lan = () => new Set(['192.168.1.5', '[fd00::5]', '127.0.0.1', '[::1]']);

describe('hostAllowed()', () => {
  it('bound to loopback: the loopback names and localhost on the right port, nothing else', () => {
    const check = { bound: '127.0.0.1', port: 5380, localAddresses: lan };
    for (const host of ['127.0.0.1:5380', 'localhost:5380', 'LOCALHOST:5380', '[::1]:5380'])
      expect(hostAllowed(host, check), host).toBe(true);
    for (const host of [
      'attacker.example:5380',
      '127.0.0.1:80',
      '127.0.0.1',
      'localhost.attacker.example:5380',
      '192.168.1.5:5380',
      '',
      undefined,
      '127.0.0.1:5380:1',
    ])
      expect(hostAllowed(host, check), String(host)).toBe(false);
  });

  it('bound to a LAN address: that address (and no name that resolves to it)', () => {
    const check = { bound: '192.168.1.5', port: 5380, localAddresses: lan };
    expect(hostAllowed('192.168.1.5:5380', check)).toBe(true);
    expect(hostAllowed('rebind.attacker.example:5380', check)).toBe(false);
    expect(hostAllowed('192.168.1.6:5380', check)).toBe(false);
    expect(hostAllowed('localhost:5380', check)).toBe(false);
    const v6 = { bound: 'fd00::5', port: 5380, localAddresses: lan };
    expect(hostAllowed('[fd00::5]:5380', v6)).toBe(true);
    expect(hostAllowed('[fd00::6]:5380', v6)).toBe(false);
  });

  it("bound to every address: this computer's addresses and localhost, no names", () => {
    const check = { bound: '0.0.0.0', port: 5380, localAddresses: lan };
    expect(hostAllowed('192.168.1.5:5380', check)).toBe(true);
    expect(hostAllowed('[fd00::5]:5380', check)).toBe(true);
    expect(hostAllowed('localhost:5380', check)).toBe(true);
    expect(hostAllowed('10.9.9.9:5380', check)).toBe(false);
    expect(hostAllowed('nas.attacker.example:5380', check)).toBe(false);
  });

  it('takes port 80 from a Host without a port', () => {
    expect(hostAllowed('localhost', { bound: '127.0.0.1', port: 80, localAddresses: lan })).toBe(true);
  });
});

describe('startCommand()', () => {
  it('names the command the user ran, never a path outside the working folder', () => {
    expect(startCommand({ npm_lifecycle_event: 'serve' })).toBe('npm run serve');
    expect(startCommand({ npm_lifecycle_event: 'start' })).toBe('npm start');
    expect(startCommand({}, '/src/dns-witness/out/main/headless.js', '/src/dns-witness')).toBe(
      'node out/main/headless.js',
    );
    expect(startCommand({}, '/home/ann/dns-witness/out/main/headless.js', '/tmp')).toBe('dns-witness serve');
    expect(startCommand({})).toBe('dns-witness serve');
  });
});

describe('isLoopbackAddress()', () => {
  it('knows loopback from wildcard and LAN addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '192.168.1.5', 'fd00::1', 'localhost', '128.0.0.1'])
      expect(isLoopbackAddress(a), a).toBe(false);
  });
});

describe('tokenMatches()', () => {
  it('accepts only the exact token', () => {
    const t = 'a'.repeat(43);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t, t.slice(1))).toBe(false);
    expect(tokenMatches(t, `${t}a`)).toBe(false);
    expect(tokenMatches(t, '')).toBe(false);
    expect(tokenMatches(t, undefined)).toBe(false);
  });
});

describe('chooseStreamProtocol()', () => {
  it('never echoes the token subprotocol', () => {
    expect(chooseStreamProtocol(new Set(['dns-witness', 'dns-witness.token.abc']))).toBe('dns-witness');
    expect(chooseStreamProtocol(new Set(['dns-witness.token.abc']))).toBe(false);
  });
});

describe('localAddressCache()', () => {
  it('brackets IPv6, drops zone ids, and refreshes after 2 s', () => {
    let t = 0;
    let calls = 0;
    const list = () => {
      calls++;
      return {
        eth0: [
          { address: '192.168.1.5', family: 'IPv4' },
          { address: 'FE80::1%eth0', family: 'IPv6' },
        ] as os.NetworkInterfaceInfo[],
      };
    };
    const get = localAddressCache(list, () => t);
    expect([...get()]).toEqual(['192.168.1.5', '[fe80::1]']);
    t = 1999;
    get();
    expect(calls).toBe(1);
    t = 2000;
    get();
    expect(calls).toBe(2);
  });
});

describe('loadOrCreateToken()', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-token-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a random 0600 token once and reads the same one later', async () => {
    const old = process.umask(0);
    let first;
    try {
      first = await loadOrCreateToken(dir);
    } finally {
      process.umask(old);
    }
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(path.join(dir, TOKEN_FILE))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateToken(dir);
    expect(again).toEqual({ ...first, created: false });
    const other = await mkdtemp(path.join(os.tmpdir(), 'dnsw-token-'));
    try {
      expect((await loadOrCreateToken(other)).token).not.toBe(first.token);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('tightens a readable token file and refuses one that holds no token', async () => {
    const file = path.join(dir, TOKEN_FILE);
    await writeFile(file, `${'x'.repeat(40)}\n`);
    await chmod(file, 0o644);
    expect((await loadOrCreateToken(dir)).token).toBe('x'.repeat(40));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFile(file, 'short\n');
    await expect(loadOrCreateToken(dir)).rejects.toThrow(/does not hold an access token.*delete it/);
    expect(await readFile(file, 'utf8')).toBe('short\n');
  });
});
