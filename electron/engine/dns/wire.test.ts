import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import {
  clientUdpSize,
  ipv6Text,
  makeErrorResponse,
  makeTruncated,
  optUdpSize,
  RCODE,
  readId,
  readName,
  readQuestion,
  summarizeAnswers,
  typeName,
  writeId,
} from './wire';

/** dns-packet decodes the rcode, but its type definitions omit it. */
const rcodeOf = (d: object | undefined) => (d as { rcode?: string } | undefined)?.rcode;

const query = (name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({
    id: 0xbeef,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    ...extra,
  });

describe('readQuestion', () => {
  it('reads name, type and class, lowercasing and dropping the trailing dot', () => {
    const q = readQuestion(query('WWW.Example.TEST', 'AAAA'));
    expect(q).toMatchObject({ name: 'www.example.test', type: 28, qclass: 1 });
  });

  it('names the root "."', () => {
    expect(readQuestion(query('.', 'NS'))?.name).toBe('.');
  });

  it('escapes dots, backslashes and non-printable bytes inside labels (RFC 4343)', () => {
    // Label "a.b\", a label with a newline and a space, and a UTF-8 label.
    const labels = [Buffer.from('a.b\\'), Buffer.from('x\ny z'), Buffer.from('ü')];
    const name = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
    const msg = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      name,
      Buffer.from([0, 1, 0, 1]),
    ]);
    expect(readQuestion(msg)?.name).toBe('a\\.b\\\\.x\\010y\\032z.\\195\\188');
  });

  it('rejects truncated, looping and oversized names without throwing', () => {
    const ok = query('www.example.test');
    for (let cut = 0; cut < ok.length; cut++) expect(() => readQuestion(ok.subarray(0, cut))).not.toThrow();
    expect(readQuestion(ok.subarray(0, ok.length - 1))).toBeNull();
    // A compression pointer to itself.
    const loop = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(readQuestion(loop)).toBeNull();
    // 5 labels of 63 bytes: over the 255-byte limit.
    const long = Array.from({ length: 5 }, () => 'a'.repeat(63)).join('.');
    const big = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      ...long.split('.').map((l) => Buffer.concat([Buffer.from([63]), Buffer.from(l)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    expect(readQuestion(big)).toBeNull();
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.alloc(1 + Math.floor(Math.random() * 80));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
      expect(() => {
        const q = readQuestion(b);
        if (q) summarizeAnswers(b, q.end);
      }).not.toThrow();
    }
  });
});

describe('IDs and EDNS', () => {
  it('rewrites and restores the ID without touching other bytes', () => {
    const msg = Buffer.from(query('a.test'));
    const copy = Buffer.from(msg);
    writeId(msg, 0x1234);
    expect(readId(msg)).toBe(0x1234);
    writeId(msg, 0xbeef);
    expect(msg.equals(copy)).toBe(true);
  });

  it('reads the client UDP size from OPT, 512 without EDNS', () => {
    const plain = query('a.test');
    expect(clientUdpSize(plain, readQuestion(plain)!.end)).toBe(512);
    expect(optUdpSize(plain, readQuestion(plain)!.end)).toBe(0);
    const edns = query('a.test', 'A', {
      additionals: [
        { type: 'OPT', name: '.', udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer,
      ],
    });
    expect(clientUdpSize(edns, readQuestion(edns)!.end)).toBe(4096);
    const tiny = query('a.test', 'A', {
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 100 } as dnsPacket.Answer],
    });
    expect(clientUdpSize(tiny, readQuestion(tiny)!.end)).toBe(512);
  });
});

describe('our own answers', () => {
  it('SERVFAIL keeps ID, question and RD, sets QR and RA, and round-trips through dns-packet', () => {
    const q = query('fail.test', 'MX');
    const r = makeErrorResponse(q, readQuestion(q)!.end, RCODE.SERVFAIL);
    const d = dnsPacket.decode(r);
    expect(d.id).toBe(0xbeef);
    expect(d.type).toBe('response');
    expect(rcodeOf(d)).toBe('SERVFAIL');
    expect(d.flag_rd).toBe(true);
    expect(d.flag_ra).toBe(true);
    expect(d.questions).toEqual([{ name: 'fail.test', type: 'MX', class: 'IN' }]);
    expect(Buffer.from(dnsPacket.encode(d)).equals(r)).toBe(true);
  });

  it('carries an OPT record when the query had one (RFC 6891 §7)', () => {
    const q = query('a.test', 'A', {
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer],
    });
    const d = dnsPacket.decode(makeErrorResponse(q, readQuestion(q)!.end, RCODE.REFUSED));
    expect(rcodeOf(d)).toBe('REFUSED');
    expect(d.additionals?.[0]?.type).toBe('OPT');
  });

  it('truncates to header + question with TC set', () => {
    const resp = dnsPacket.encode({
      id: 7,
      type: 'response',
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'TXT', name: 'big.test' }],
      answers: [{ type: 'TXT', name: 'big.test', data: ['x'.repeat(255), 'y'.repeat(255), 'z'.repeat(255)] }],
    });
    const t = makeTruncated(resp);
    const d = dnsPacket.decode(t);
    expect(d.flag_tc).toBe(true);
    expect(d.id).toBe(7);
    expect(d.answers).toEqual([]);
    expect(d.questions).toEqual([{ name: 'big.test', type: 'TXT', class: 'IN' }]);
    expect(t.length).toBeLessThan(512);
  });
});

describe('summarizeAnswers', () => {
  const answer = (answers: dnsPacket.Answer[]) => {
    const r = dnsPacket.encode({
      id: 1,
      type: 'response',
      questions: [{ type: 'A', name: 'q.test' }],
      answers,
    });
    return summarizeAnswers(r, readQuestion(r)!.end);
  };

  it('summarises common record types, following compression pointers', () => {
    expect(
      answer([
        { type: 'CNAME', name: 'q.test', data: 'edge.cdn.test' },
        { type: 'A', name: 'edge.cdn.test', data: '192.0.2.1' },
        { type: 'AAAA', name: 'edge.cdn.test', data: '2001:db8::1' },
        { type: 'MX', name: 'q.test', data: { preference: 10, exchange: 'mail.q.test' } },
        { type: 'TXT', name: 'q.test', data: ['hello "world"'] },
        { type: 'SRV', name: 'q.test', data: { priority: 1, weight: 2, port: 443, target: 'svc.q.test' } },
        { type: 'CAA', name: 'q.test', data: { flags: 0, tag: 'issue', value: 'ca.test' } },
      ]),
    ).toBe(
      'CNAME edge.cdn.test, 192.0.2.1, 2001:db8::1, MX 10 mail.q.test, TXT "hello \\034world\\034", SRV 1 2 443 svc.q.test, CAA (14 bytes)',
    );
  });

  it('bounds long answers', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      type: 'A' as const,
      name: 'q.test',
      data: `192.0.2.${i}`,
    }));
    const s = answer(many);
    expect(s).toMatch(/\+42 more$/);
  });

  it('gives one answer as its text, the same address the same way however many were seen', () => {
    for (let i = 0; i < 10_000; i++) {
      const address = `${(i * 37) % 256}.${i % 256}.${(i >> 8) % 256}.${(i * 11) % 256}`;
      expect(answer([{ type: 'A', name: 'q.test', data: address }])).toBe(address);
    }
    expect(answer([{ type: 'A', name: 'q.test', data: '255.255.255.254' }])).toBe('255.255.255.254');
    expect(answer([{ type: 'AAAA', name: 'q.test', data: '2001:db8::1' }])).toBe('2001:db8::1');
  });

  it('bounds one long answer as it bounds several', () => {
    // A CNAME to four labels of 60 control bytes: each written \\001, 980 characters in all.
    const target = Buffer.concat([
      ...Array.from({ length: 4 }, () => Buffer.from([60, ...new Array<number>(60).fill(1)])),
      Buffer.from([0]),
    ]);
    const head = Buffer.from(
      dnsPacket.encode({ id: 1, type: 'response', questions: [{ type: 'A', name: 'q.test' }] }),
    );
    head.writeUInt16BE(1, 6);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(5, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt16BE(target.length, 10);
    const msg = Buffer.concat([head, rr, target]);
    const text = `CNAME ${Array.from({ length: 4 }, () => '\\001'.repeat(60)).join('.')}`;
    expect(summarizeAnswers(msg, readQuestion(msg)!.end)).toBe(`${text.slice(0, 300)}…`);
  });

  it('is empty without answers', () => {
    expect(answer([])).toBe('');
  });
});

describe('names', () => {
  it('formats IPv6 per RFC 5952', () => {
    const b = (s: string) => {
      const d = dnsPacket.encode({
        id: 0,
        type: 'response',
        answers: [{ type: 'AAAA', name: 'x', data: s }],
      });
      const q = readName(d, 12)!;
      return ipv6Text(d, q.end + 10);
    };
    expect(b('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(b('::')).toBe('::');
    expect(b('fe80::1')).toBe('fe80::1');
    expect(b('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:3:4:5:6');
  });

  it('names unknown types per RFC 3597', () => {
    expect(typeName(65)).toBe('HTTPS');
    expect(typeName(65280)).toBe('TYPE65280');
  });
});
