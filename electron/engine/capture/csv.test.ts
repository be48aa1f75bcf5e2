import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvCell, csvChunks, csvDeviceCells, csvLatency, csvRow } from './csv';
import type { CsvDevice, CsvFields } from './csv';
import { parseCsv } from './test-support';

async function text(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

function fields(over: Partial<CsvFields>): CsvFields {
  return {
    time: '2026-11-23T01:45:01.234+01:00',
    client: '192.168.0.1',
    qname: 'a.safethings.avira.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '1.2.3.4',
    latencyMs: 1.5,
    upstream: '1.1.1.1:53',
    watchRule: 'avira-safethings',
    ...over,
  };
}

describe('csvCell', () => {
  it('leaves plain values alone', () => {
    expect(csvCell('example.com')).toBe('example.com');
    expect(csvCell('')).toBe('');
    expect(csvCell('::1')).toBe('::1');
    expect(csvCell('héllo 日本')).toBe('héllo 日本');
  });

  it('quotes comma, quote, CR and LF, doubling quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  it('neutralises formula starters with a leading apostrophe', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('a=b')).toBe('a=b'); // only the first character matters
  });
});

describe('csvRow and csvChunks', () => {
  it('writes latency with three decimals', () => {
    expect(csvLatency(1.5)).toBe('1.500');
    expect(csvLatency(0)).toBe('0.000');
    expect(csvLatency(Number.NaN)).toBe('');
  });

  it('round-trips hostile values through a strict RFC 4180 parser', async () => {
    const hostile: CsvFields[] = [
      fields({}),
      fields({ qname: "=cmd|' /C calc'!A0", answers: '1.2.3.4, 5.6.7.8' }),
      fields({ qname: 'weird"name', answers: '-1', upstream: '@evil' }),
      fields({ qname: 'multi\r\nline', answers: '+SUM(1)', client: '\tfe80::1' }),
      fields({ qname: 'ünïcödé.例え.jp', answers: '', watchRule: '' }),
    ];
    const chunks = await text(csvChunks(hostile.map((f) => csvRow(f))));
    const joined = chunks.join('');
    expect(joined.startsWith(`${CSV_HEADER}\r\n`)).toBe(true);
    const rows = parseCsv(joined);
    expect(rows[0]).toEqual(CSV_HEADER.split(','));
    expect(rows).toHaveLength(hostile.length + 1);
    const expectCell = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    hostile.forEach((f, i) => {
      expect(rows[i + 1]).toEqual([
        f.time,
        expectCell(f.client),
        expectCell(f.qname),
        f.qtype,
        f.rcode,
        expectCell(f.answers),
        csvLatency(f.latencyMs),
        expectCell(f.upstream),
        // Without device details the address names the device.
        expectCell(f.client),
        '',
        '',
        'false',
        f.watchRule,
      ]);
    });
    // No cell a spreadsheet would evaluate.
    for (const row of rows) for (const cell of row) expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
  });

  it('ends each row with the device columns: name, MAC, vendor, router flag', async () => {
    const router: CsvDevice = {
      device: 'Archer AX55, upstairs',
      mac: 'f4:f2:6d:12:34:56',
      vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
      isRouter: true,
    };
    const hostile: CsvDevice = { device: '=HYPERLINK("x")', mac: '', vendor: '', isRouter: false };
    expect(csvDeviceCells(router)).toBe(
      ',"Archer AX55, upstairs",f4:f2:6d:12:34:56,"TP-LINK TECHNOLOGIES CO.,LTD.",true',
    );
    const rows = parseCsv(
      (await text(csvChunks([csvRow(fields({}), router), csvRow(fields({}), hostile)]))).join(''),
    );
    expect(rows[0]!.slice(8)).toEqual(['device', 'mac', 'vendor', 'is_router', 'watch_rule']);
    expect(rows[1]!.slice(8)).toEqual([
      'Archer AX55, upstairs',
      'f4:f2:6d:12:34:56',
      'TP-LINK TECHNOLOGIES CO.,LTD.',
      'true',
      'avira-safethings',
    ]);
    expect(rows[2]!.slice(8)).toEqual(['\'=HYPERLINK("x")', '', '', 'false', 'avira-safethings']);
  });

  it('cuts the text into chunks of about the asked size, header first', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => csvRow(fields({ qname: `host${i}.example` })));
    const chunks = await text(csvChunks(rows, 4096));
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(4096);
      expect(c.length).toBeLessThan(4096 + 200);
      expect(c.endsWith('\r\n')).toBe(true);
    }
    const parsed = parseCsv(chunks.join(''));
    expect(parsed).toHaveLength(5001);
    expect(parsed[5000]![2]).toBe('host4999.example');
  });

  it('writes just the header for no rows', async () => {
    expect((await text(csvChunks([]))).join('')).toBe(`${CSV_HEADER}\r\n`);
  });
});
