/** Reverse DNS against real servers on loopback: Debian's dnsmasq with PTR records, and a silent server. */
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../../../test/helpers/dnsmasq';
import { TestDnsServer } from '../../../test/helpers/dns-server';
import { run } from '../../../test/helpers/tools';
import { reverseName } from './address';
import {
  parsePtrResponse,
  ptrQuery,
  PTR_MIN_TTL_MS,
  PTR_ECHO_GRACE_MS,
  PTR_NEGATIVE_TTL_MS,
  PtrInFlight,
  ReverseResolver,
} from './reverse-dns';

const V6 = '2001:db8:1e00::2';

describe('reverse names', () => {
  it.each(['192.168.1.23', V6, 'fe80::1c3a:7bff:fe9e:1d2e'])(
    '%s: the name dig -x asks for',
    async (address) => {
      // +qr prints the query dig built; nothing listens on port 1, so it goes unanswered.
      const r = await run('dig', [
        '-x',
        address,
        '+qr',
        '+noall',
        '+question',
        '-p',
        '1',
        '@127.0.0.1',
        '+tries=1',
      ]);
      const asked = /^;(\S+)\.\s+IN\s+PTR/m.exec(r.stdout)?.[1];
      expect(asked).toBe(reverseName(address));
    },
  );

  it('ptrQuery asks one PTR question, recursion desired', () => {
    const q = dnsPacket.decode(ptrQuery('192.168.1.23')!);
    expect(q.questions).toEqual([{ name: '23.1.168.192.in-addr.arpa', type: 'PTR', class: 'IN' }]);
    expect(q.flags! & dnsPacket.RECURSION_DESIRED).toBeTruthy();
    expect(ptrQuery('router')).toBeNull();
  });
});

describe('parsePtrResponse', () => {
  const response = (rcode: number, answers: dnsPacket.Answer[]) =>
    dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: rcode,
      questions: [{ type: 'PTR', name: '23.1.168.192.in-addr.arpa' }],
      answers,
    });
  const ptr = (data: string, ttl: number): dnsPacket.Answer => ({
    type: 'PTR',
    name: '23.1.168.192.in-addr.arpa',
    ttl,
    data,
  });

  it('takes the name and its TTL, at least the minimum', () => {
    expect(parsePtrResponse(response(0, [ptr('phone.lan', 7200)]))).toEqual({
      hostname: 'phone.lan',
      ttlMs: 7_200_000,
      error: '',
    });
    expect(parsePtrResponse(response(0, [ptr('phone.lan', 0)])).ttlMs).toBe(PTR_MIN_TTL_MS);
  });

  it('NXDOMAIN and an empty answer are "no name"; other rcodes are errors', () => {
    expect(parsePtrResponse(response(3, []))).toEqual({
      hostname: '',
      ttlMs: PTR_NEGATIVE_TTL_MS,
      error: '',
    });
    expect(parsePtrResponse(response(0, []))).toEqual({
      hostname: '',
      ttlMs: PTR_NEGATIVE_TTL_MS,
      error: '',
    });
    expect(parsePtrResponse(response(5, [])).error).toBe('REFUSED');
    expect(parsePtrResponse(response(2, [])).error).toBe('SERVFAIL');
    expect(parsePtrResponse(Buffer.from([1, 2, 3])).error).toBe('short response');
  });
});

describe('ReverseResolver', () => {
  let dnsmasq: Dnsmasq;
  let silent: TestDnsServer;
  const resolver = new ReverseResolver({ timeoutMs: 300 });

  beforeAll(async () => {
    dnsmasq = await startDnsmasq([
      `--ptr-record=${reverseName('192.168.1.23')},phone.lan`,
      `--ptr-record=${reverseName(V6)},tv.lan`,
      '--local-ttl=3600',
      // Private reverse names not found locally are NXDOMAIN, as on a home router.
      '--bogus-priv',
    ]);
    silent = await new TestDnsServer().start();
    silent.behaviour = { kind: 'silent' };
  });
  afterAll(async () => {
    resolver.close();
    await dnsmasq?.stop();
    await silent?.stop();
  });

  const router = () => ({ host: '127.0.0.1', port: dnsmasq.port });

  it('finds the names the router knows, IPv4 and IPv6, with their TTL', async () => {
    expect(await resolver.lookup('192.168.1.23', [router()])).toEqual({
      hostname: 'phone.lan',
      ttlMs: 3_600_000,
      error: '',
    });
    expect((await resolver.lookup(V6, [router()])).hostname).toBe('tv.lan');
  });

  it('an unknown private address is "no name", not an error', async () => {
    expect(await resolver.lookup('192.168.1.99', [router()])).toEqual({
      hostname: '',
      ttlMs: PTR_NEGATIVE_TTL_MS,
      error: '',
    });
  });

  it('a refusing router is an error', async () => {
    // Outside dnsmasq's private ranges and with no upstream, dnsmasq refuses (RFC 2544 benchmark range).
    expect((await resolver.lookup('198.18.0.9', [router()])).error).toBe(
      `127.0.0.1:${dnsmasq.port}: REFUSED`,
    );
  });

  it('a silent router times out and the next one is asked', async () => {
    const started = Date.now();
    const quiet = { host: '127.0.0.1', port: silent.port };
    expect(await resolver.lookup('192.168.1.23', [quiet, router()])).toMatchObject({ hostname: 'phone.lan' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(silent.received.length).toBeGreaterThan(0);
    expect(await resolver.lookup('192.168.1.23', [quiet])).toEqual({
      hostname: '',
      ttlMs: PTR_NEGATIVE_TTL_MS,
      error: `127.0.0.1:${silent.port}: timeout`,
    });
  });

  it('with no router there is nothing to ask', async () => {
    expect((await resolver.lookup('192.168.1.23', [])).error).toBe('no router to ask');
  });
});

describe('PtrInFlight', () => {
  it('covers a name from the start of its lookup to a short grace after its end', () => {
    const names = new PtrInFlight();
    const name = reverseName('192.168.1.23');
    expect(names.covers(name, 1000)).toBe(false);
    names.begin(name, 1000);
    expect(names.covers(name, 999)).toBe(false);
    expect(names.covers(name, 1000)).toBe(true);
    expect(names.covers(name, 1_000_000)).toBe(true);
    expect(names.covers(reverseName('192.168.1.24'), 1500)).toBe(false);
    names.end(name, 2500);
    expect(names.covers(name, 2000)).toBe(true);
    expect(names.covers(name, 2500 + PTR_ECHO_GRACE_MS)).toBe(true);
    expect(names.covers(name, 2500 + PTR_ECHO_GRACE_MS + 1)).toBe(false);
    // A new lookup of the same name starts a new window.
    names.begin(name, 10_000);
    expect(names.covers(name, 2000)).toBe(false);
    expect(names.covers(name, 10_001)).toBe(true);
  });

  it('forgets finished lookups after a while', () => {
    const names = new PtrInFlight();
    names.begin('a.in-addr.arpa', 0);
    names.end('a.in-addr.arpa', 10);
    names.begin('b.in-addr.arpa', 100_000);
    names.end('b.in-addr.arpa', 100_000);
    // Had 'a' been kept, a query stamped inside its window would still match.
    expect(names.covers('a.in-addr.arpa', 5)).toBe(false);
    expect(names.covers('b.in-addr.arpa', 100_000)).toBe(true);
  });
});
