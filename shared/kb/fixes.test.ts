import { describe, expect, it } from 'vitest';
import { MARKER_LABEL_MAX } from '../watch/messages';
import { BUILT_IN_RULES } from '../watch/rules';
import { fixMarker, fixMarkerLabel } from './fixes';
import { fixesFor, KB_FIXES, KB_RULES } from './index';

describe('fixes', () => {
  it('belong to the rules that list them, and to no other rule', () => {
    const homeshield = fixesFor(KB_RULES.find((r) => r.id === 'avira-safethings')!);
    expect(homeshield.map((f) => f.id)).toEqual(['tplink-homeshield-firmware']);
    const users = KB_RULES.filter((r) => fixesFor(r).some((f) => f.id === 'tplink-homeshield-firmware'));
    expect(users.map((r) => r.id)).toEqual(['avira-safethings']);
    expect(fixesFor(KB_RULES.find((r) => r.id === 'netgear-ntp')!)).toEqual([]);
    expect(BUILT_IN_RULES.find((r) => r.id === 'asus-dns-probe')!.fixes).toEqual(['asus-dns-probe-off']);
    expect(BUILT_IN_RULES.find((r) => r.id === 'openwrt-ntp')!.fixes).toBeUndefined();
  });

  it('each have steps and a source', () => {
    for (const f of KB_FIXES) {
      expect(f.steps.length).toBeGreaterThan(0);
      expect(f.sources.length).toBeGreaterThan(0);
      expect(fixMarkerLabel(f).length).toBeLessThanOrEqual(MARKER_LABEL_MAX);
    }
  });

  it('find the latest marker set for them by its label', () => {
    const fix = KB_FIXES[0]!;
    const markers = [
      { id: 'a', ts: 1, label: fixMarkerLabel(fix) },
      { id: 'b', ts: 5, label: 'HomeShield switched off' },
      { id: 'c', ts: 3, label: fixMarkerLabel(fix) },
    ];
    expect(fixMarker(fix, markers)?.id).toBe('c');
    expect(fixMarker(KB_FIXES[1]!, markers)).toBeUndefined();
  });
});
