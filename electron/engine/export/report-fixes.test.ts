import { describe, expect, it } from 'vitest';
import { fixMarkerLabel } from '@shared/kb/fixes';
import { KB_FIXES } from '@shared/kb/index';
import { reportHtml } from './report-html';
import type { EvidenceSummary } from './summary';

/** The fields report.html reads, with a watchlist of `rules` and the given markers. */
function summary(rules: readonly string[], markers: { time: string; label: string }[] = []): EvidenceSummary {
  return {
    generated_at: '2026-12-02T10:00:00.000+01:00',
    generated_at_utc: '2026-12-02T09:00:00.000Z',
    computer: { app: 'DNS Witness test', clock: '', time_zone: 'UTC', utc_offset: 'Z' },
    period: { from: '', to: '' },
    filter: { description: 'everything' },
    queries: { exported: 0, pcap_exchanges: 0, pcap_packets: 0 },
    imported: [],
    captures: [],
    listeners: [],
    upstreams: [],
    router: { addresses: [], model: '' },
    devices: [],
    watchlist: rules.map((rule) => ({ rule, vendor: 'V', integration: rule, devices: [] })),
    watchlist_per_hour: [],
    reported_per_day: { rule: 'avira-safethings', low: 42_000, high: 80_000, source: '' },
    findings: [],
    markers: markers.map((m) => ({ ...m, effects: [] })),
    files: [],
    install_key: { algorithm: 'Ed25519', fingerprint: '' },
  } as unknown as EvidenceSummary;
}

const section = (html: string) =>
  html.slice(html.indexOf('<h2>What to do</h2>'), html.indexOf('<h2>Markers'));

describe('the report’s What to do section', () => {
  it('gives the fix of a service seen, with steps and source, and no other fix', () => {
    const html = section(reportHtml(summary(['asus-dns-probe'])));
    expect(html).toContain('Stop the ASUS WAN DNS probe');
    expect(html).toContain('nvram set dns_probe_host=&quot;&quot;');
    expect(html).toContain('discourse.pi-hole.net');
    expect(html).not.toContain('HomeShield');
    expect(html).toContain('Not marked as applied');
  });

  it('says when the fix was marked as applied', () => {
    const fix = KB_FIXES.find((f) => f.id === 'tplink-homeshield-firmware')!;
    const html = section(
      reportHtml(
        summary(
          ['avira-safethings'],
          [{ time: '2026-12-02T09:30:00.000+01:00', label: fixMarkerLabel(fix) }],
        ),
      ),
    );
    expect(html).toContain('Marked as applied at 2026-12-02T09:30:00.000+01:00');
  });

  it('says so when no service seen has a fix', () => {
    expect(section(reportHtml(summary(['netgear-ntp'])))).toContain('No known fix');
  });
});
