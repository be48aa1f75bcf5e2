import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../headless/args';
import { engineArgs, hasDataDirFlag } from './engine-args';

describe('engineArgs()', () => {
  it('keeps engine flags with their values and drops Chromium switches and the app path', () => {
    const argv = [
      '.',
      '--user-data-dir=/tmp/profile',
      '--listen',
      '127.0.0.1:0',
      '--remote-debugging-port=0',
      '--upstream=127.0.0.1:5353',
      '--no-capture',
      '--no-sandbox',
      '--ui',
      '127.0.0.1:9999',
      '--retention-days',
      '7',
      '--router',
      '192.168.0.1',
    ];
    const picked = engineArgs(argv);
    expect(picked).toEqual([
      '--listen',
      '127.0.0.1:0',
      '--upstream=127.0.0.1:5353',
      '--no-capture',
      '--retention-days',
      '7',
      '--router',
      '192.168.0.1',
    ]);
    expect(hasDataDirFlag(picked)).toBe(false);

    const parsed = parseServeArgs(picked);
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.options.engine.listen).toEqual([{ host: '127.0.0.1', port: 0 }]);
    expect(parsed.options.engine.upstreams).toEqual([{ host: '127.0.0.1', port: 5353 }]);
    expect(parsed.options.engine.autoStartCapture).toBe(false);
    expect(parsed.options.engine.retentionDays).toBe(7);
    expect(parsed.options.engine.routers).toEqual(['192.168.0.1']);
  });

  it('notices an explicit data folder and leaves a missing value for the parser to report', () => {
    expect(hasDataDirFlag(engineArgs(['--data-dir', '/tmp/d']))).toBe(true);
    expect(hasDataDirFlag(engineArgs(['--data-dir=/tmp/d']))).toBe(true);
    expect(engineArgs(['--listen'])).toEqual(['--listen']);
    expect(() => parseServeArgs(engineArgs(['--listen']))).toThrow(/listen/);
  });
});
