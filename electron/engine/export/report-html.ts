import type { EvidenceSummary } from './summary';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const int = (n: number): string => n.toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly unknown[])[], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function change(c: number | null): string {
  if (c === null) return 'no rate before';
  const pct = Math.round(c * 100);
  return `${pct > 0 ? '+' : ''}${pct} %`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td{font-variant-numeric:tabular-nums;overflow-wrap:anywhere}.muted{color:#57606a}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}`;

/**
 * report.html: the bundle in words for someone without DNS Witness. One self-contained page (no scripts,
 * no external resources) that any browser opens offline; every value from the capture is escaped.
 */
export function reportHtml(s: EvidenceSummary): string {
  const journals = s.captures.filter((c) => c.journal !== null);
  const broken = journals.some((c) => c.journal?.chain === 'broken');
  const unchained = journals.some((c) => c.journal?.chain === 'not-chained');
  const integrity = broken
    ? `<p class="bad">Some journal records do NOT match their seals: they were changed after capture (see below).</p>`
    : unchained
      ? `<p>Some journals were written before DNS Witness sealed its journals: they are <strong>not chained</strong>, so their integrity cannot be shown.</p>`
      : journals.length > 0
        ? `<p class="ok">No journal record was changed after capture: every sealed block matches its hash chain.</p>`
        : `<p class="muted">No journal is included.</p>`;
  const rules = s.watchlist.flatMap((r) =>
    r.devices.map((d) => [
      `${r.vendor} ${r.integration}`.trim(),
      `${d.address}${d.is_router ? ' (router)' : ''}`,
      int(d.queries),
      d.per_hour === null ? 'too early to tell' : d.per_hour,
      d.projected_per_day === null ? 'too early to tell' : int(d.projected_per_day),
      d.beacon ? `yes, ${d.every}` : 'no',
      d.regularity,
    ]),
  );
  const markerRows = s.markers.flatMap((m) =>
    m.effects.length === 0
      ? [[m.time, m.label, '', '', '', '', '']]
      : m.effects.map((e) => [
          m.time,
          m.label,
          e.rule,
          e.address,
          `${int(e.before.queries)} (${e.before.per_hour}/h)`,
          `${int(e.after.queries)} (${e.after.per_hour}/h)`,
          change(e.change),
        ]),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DNS Witness evidence report — ${escapeHtml(s.generated_at)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>DNS Witness evidence report</h1>
<p class="muted">Generated ${escapeHtml(s.generated_at)} by ${escapeHtml(s.computer.app)}. Every file of this bundle is listed with its SHA-256 in <code>manifest.json</code>; <code>npm run verify -- bundle.zip</code> (DNS Witness) checks them and the journals' hash chain.</p>

<h2>Capture period</h2>
<dl>
<dt>Recorded</dt><dd>${escapeHtml(s.period.from || '—')} to ${escapeHtml(s.period.to || '—')}</dd>
<dt>Selection</dt><dd>${escapeHtml(s.filter.description)}</dd>
<dt>Queries</dt><dd>${int(s.queries.exported)} in <code>queries.csv</code>; ${int(s.queries.pcap_exchanges)} exchanges (${int(s.queries.pcap_packets)} packets) in <code>dns.pcap</code></dd>
</dl>

<h2>This computer</h2>
<dl>
<dt>Clock at generation</dt><dd>${escapeHtml(s.computer.clock)} (UTC ${escapeHtml(s.generated_at_utc)})</dd>
<dt>Time zone</dt><dd>${escapeHtml(s.computer.time_zone)}, UTC offset ${escapeHtml(s.computer.utc_offset)}</dd>
<dt>DNS Witness listened on</dt><dd>${escapeHtml(s.listeners.join(', ') || '—')}</dd>
</dl>
<p class="muted">All times are this computer's clock, in ISO 8601 with the UTC offset they were recorded with.</p>

<h2>Integrity</h2>
${integrity}
${table(
  ['capture', 'started', 'stopped', 'queries', 'journal'],
  s.captures.map((c) => [
    c.id,
    c.started_at,
    c.stopped_at || 'running',
    int(c.queries),
    c.journal?.description ?? 'not included',
  ]),
  'No capture in this selection.',
)}

<h2>Upstream resolvers</h2>
${table(
  ['address', 'queries', 'failures', 'healthy'],
  s.upstreams.map((u) => [u.address, int(u.queries), int(u.failures), u.healthy ? 'yes' : 'no']),
  'None configured.',
)}

<h2>The router</h2>
<dl>
<dt>Addresses</dt><dd>${escapeHtml(s.router.addresses.join(', ') || 'not known')}</dd>
<dt>Model</dt><dd>${escapeHtml(s.router.model || 'not given')}</dd>
</dl>

<h2>Devices</h2>
${table(
  ['address', 'name', 'MAC', 'vendor', 'router', 'queries', 'first seen', 'last seen'],
  s.devices.map((d) => [
    d.address,
    d.name,
    d.mac,
    d.vendor,
    d.is_router ? 'yes' : '',
    int(d.queries),
    d.first_seen,
    d.last_seen,
  ]),
  'No device has sent a query.',
)}

<h2>Watchlist: router telemetry and security clouds</h2>
${table(
  ['service', 'device', 'queries', 'per hour', 'per day (projected)', 'beacon', 'regularity'],
  rules,
  'No query matched the watchlist.',
)}

<h2>Markers, with the rate before and after</h2>
${table(['time', 'marker', 'rule', 'device', 'before', 'after', 'change'], markerRows, 'No markers were set.')}

<h2>Files</h2>
<ul>${s.files.map((f) => `<li><code>${escapeHtml(f)}</code></li>`).join('')}</ul>
<p class="muted">The journals hold every query of each capture in this selection, with the DNS messages as sent and received, not only the selected queries.</p>
</body>
</html>
`;
}
