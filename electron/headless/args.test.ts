import { describe, expect, it } from 'vitest';
import { parseServeArgs, UsageError } from './args';

function engine(argv: string[]) {
  const parsed = parseServeArgs(argv);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options.engine;
}

describe('--dnstap-in and --listen none', () => {
  it('takes inputs, repeated, and an observer without a DNS listener that saved settings cannot undo', () => {
    const o = engine([
      '--listen',
      'none',
      '--dnstap-in',
      'unix:/run/dnsw.sock',
      '--dnstap-in',
      'tcp:[::1]:6000',
    ]);
    expect(o.listen).toEqual([]);
    expect(o.commandLine).toContain('listen');
    expect(o.dnstapIn).toEqual(['unix:/run/dnsw.sock', 'tcp:[::1]:6000']);
    expect(engine([]).dnstapIn).toBeUndefined();
  });

  it('refuses a bad input, none beside addresses, and none without an input, in one line each', () => {
    const bad: [string[], RegExp][] = [
      [['--dnstap-in', 'unix:relative.sock'], /^--dnstap-in needs e\.g\. unix:/],
      [['--dnstap-in', 'tcp:localhost:6000'], /^--dnstap-in needs/],
      [['--listen', 'none', '--listen', '127.0.0.1:53', '--dnstap-in', 'unix:/x'], /cannot be combined/],
      [['--listen', 'none'], /^--listen none needs --dnstap-in/],
    ];
    for (const [argv, message] of bad) {
      expect(() => parseServeArgs(argv)).toThrow(UsageError);
      expect(() => parseServeArgs(argv)).toThrow(message);
    }
  });
});
