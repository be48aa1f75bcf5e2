import { describe, expect, it } from 'vitest';
import { minuteOf } from './time';

describe('minuteOf', () => {
  it('floors to the minute', () => {
    expect(minuteOf(120_000)).toBe(120_000);
    expect(minuteOf(179_999)).toBe(120_000);
  });
});
