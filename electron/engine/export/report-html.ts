import { fixMarker } from '@shared/kb/fixes';
import { fixesFor, KB_RULES } from '@shared/kb/index';
import { formatSpan, MIN_RATE_LOOKUPS, MIN_RATE_SPAN_MS } from '@shared/watch/lookup-rate';
import { REPORTED_PER_DAY, TP_LINK_HOMESHIELD_FIXES } from '@shared/watch/router-models';
import { HOUR_MS, localHourOf } from '@shared/time';
import { serviceName } from '@shared/watch/service-name';
import { readableTime, reportedPosition } from './findings';
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
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.finding{font-size:1.1rem;border-left:4px solid #cf222e;padding:.4rem .9rem;background:#fff8f8;margin:1rem 0}.finding p{margin:.3rem 0}
figure{margin:1rem 0}figcaption{color:#57606a;font-size:.9em}.chart{width:100%;height:auto;max-width:900px}
.chart text{font:11px system-ui,sans-serif;fill:#57606a}.chart .axis{stroke:#8c959f;stroke-width:1}.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart .marker{stroke:#1b1f24;stroke-width:1;stroke-dasharray:4 3}.chart .marker-label{fill:#1b1f24}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;margin:.3rem 0}.legend i{display:inline-block;width:1.6em;height:.25em;vertical-align:middle;margin-right:.4em}
tr.picked td{background:#fff8c5;font-weight:600}.fixes{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem;font-size:.9em}.fixes table{margin:.2rem 0}.method p{margin:.4rem 0}
@page{size:A4;margin:14mm 12mm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10.5pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}
h1{font-size:17pt}h2{font-size:12.5pt;margin-top:1.2rem;break-after:avoid;page-break-after:avoid}
.finding,figure,dl,.compare,.fixes,tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
.tables{break-before:page;page-break-before:always}
a{color:inherit;text-decoration:none}
}`;

const COLOURS = ['#cf222e', '#0969da', '#1a7f37', '#8250df', '#bc4c00', '#57606a'];

/** A round axis maximum at or above `n`: 1, 2, 5 × 10^k. */
function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** Hours with less recording than this are left out of the chart: a rate from a minute or two is noise. */
const MIN_CHART_RECORDED_MS = 5 * 60_000;

/**
 * The watched lookups per hour and rule as an inline SVG step chart over the recorded time, with the
 * markers as dashed lines: no script and no external resource, so it prints and opens offline like the rest
 * of the page. Each clock hour's count is scaled to the part of it that was recorded, so the hour a capture
 * stops in does not look like a drop.
 */
export function perHourChart(s: EvidenceSummary): string {
  const rows = s.watchlist_per_hour;
  if (rows.length === 0) return '<p class="muted">No watched lookup to chart.</p>';
  const names = new Map(s.watchlist.map((w) => [w.rule, serviceName(w)]));
  const rules = [...new Set(rows.map((r) => r.rule))];
  const end = Date.parse(s.period.to || s.generated_at);
  const recorded = s.captures.map((c) => ({
    from: Date.parse(c.started_at),
    to: c.stopped_at ? Date.parse(c.stopped_at) : end,
  }));
  const hours = rows.map((r) => Date.parse(r.hour));
  const from = Math.min(...recorded.map((c) => c.from), ...hours);
  const to = Math.max(...recorded.map((c) => c.to), ...hours.map((h) => h + HOUR_MS / 60));
  /** The recorded part of [h, h + 1 h): its length and its first and last moment. */
  const recordedIn = (h: number) => {
    let ms = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const c of recorded) {
      const a = Math.max(c.from, h);
      const b = Math.min(c.to, h + HOUR_MS);
      if (b <= a) continue;
      ms += b - a;
      first = Math.min(first, a);
      last = Math.max(last, b);
    }
    return { ms, first, last };
  };
  const series = rules.map((rule) => {
    const counts = new Map(rows.filter((r) => r.rule === rule).map((r) => [Date.parse(r.hour), r.lookups]));
    const steps: { from: number; to: number; perHour: number }[] = [];
    for (let h = localHourOf(from); h < to; h = localHourOf(h + HOUR_MS)) {
      const rec = recordedIn(h);
      if (rec.ms < MIN_CHART_RECORDED_MS) continue;
      steps.push({ from: rec.first, to: rec.last, perHour: ((counts.get(h) ?? 0) * HOUR_MS) / rec.ms });
    }
    return { rule, steps };
  });
  const W = 900;
  const H = 260;
  const L = 64;
  const R = 16;
  const T = 28;
  const B = 36;
  const max = niceMax(Math.max(1, ...series.flatMap((x) => x.steps.map((st) => st.perHour))));
  const x = (t: number) => L + ((t - from) / Math.max(1, to - from)) * (W - L - R);
  const y = (n: number) => H - B - (n / max) * (H - T - B);
  const parts: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    parts.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/>`,
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${int(v)}</text>`,
    );
  }
  const firstHour = localHourOf(from) === from ? from : localHourOf(from + HOUR_MS);
  const every = Math.max(1, Math.ceil((to - from) / HOUR_MS / 12));
  for (let t = firstHour; t <= to; t += every * HOUR_MS) {
    parts.push(
      `<line class="axis" x1="${x(t)}" x2="${x(t)}" y1="${H - B}" y2="${H - B + 4}"/>`,
      `<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${escapeHtml(readableTime(t).slice(11, 16))}</text>`,
    );
  }
  series.forEach(({ rule, steps }, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    for (const st of steps)
      parts.push(
        `<line stroke="${colour}" stroke-width="2.5" x1="${x(st.from)}" x2="${x(st.to)}" y1="${y(st.perHour)}" y2="${y(st.perHour)}"><title>${escapeHtml(`${names.get(rule) ?? rule}: ${int(st.perHour)} an hour from ${readableTime(st.from)}`)}</title></line>`,
      );
  });
  s.markers.forEach((m, i) => {
    const mx = x(Date.parse(m.time));
    parts.push(
      `<line class="marker" x1="${mx}" x2="${mx}" y1="${T - 6}" y2="${H - B}"/>`,
      `<text class="marker-label" x="${mx + 3}" y="${T - 14 + (i % 2) * 11}">${escapeHtml(m.label)}</text>`,
    );
  });
  parts.push(
    `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`,
    `<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`,
  );
  const legend = rules
    .map(
      (rule, i) =>
        `<li><i style="background:${COLOURS[i % COLOURS.length]}"></i>${escapeHtml(names.get(rule) ?? rule)}</li>`,
    )
    .join('');
  return `<figure>
<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Watched lookups per hour and service, with the markers">${parts.join('')}</svg>
<ul class="legend">${legend}</ul>
<figcaption>Watched lookups per hour (all devices) from ${escapeHtml(readableTime(from))} to ${escapeHtml(readableTime(to))}: each clock hour's count, scaled to the part of the hour that was recorded (hours with less than ${formatSpan(MIN_CHART_RECORDED_MS)} recorded are left out). Dashed lines are your markers.</figcaption>
</figure>`;
}

/** The router's SafeThings rate against the published 42,000–80,000 a day, and TP-Link's list of fixed firmware. */
function comparison(s: EvidenceSummary): string {
  const range = `${int(REPORTED_PER_DAY.low)}–${int(REPORTED_PER_DAY.high)}`;
  const rule = s.watchlist.find((w) => w.rule === REPORTED_PER_DAY.rule);
  const routers = rule?.devices.filter((d) => d.is_router) ?? [];
  const lines =
    routers.length === 0
      ? [
          `No lookup of ${escapeHtml((rule?.patterns ?? ['*.safethings.avira.com']).join(', '))} by the router was recorded.`,
        ]
      : routers.map((d) =>
          d.projected_per_day === null
            ? `Router ${escapeHtml(d.address)}: too early to tell a daily rate to compare (${int(d.queries)} lookups over ${escapeHtml(formatSpan(d.span_ms))}).`
            : `Router ${escapeHtml(d.address)}: ${escapeHtml(d.rate_text)} — ${reportedPosition(d.projected_per_day)} the ${range} a day reported.`,
        );
  const model = s.router.model;
  const row = (f: (typeof TP_LINK_HOMESHIELD_FIXES)[number]) =>
    `<tr${f.model === model ? ' class="picked"' : ''}><td>${escapeHtml(f.model)}</td><td>${escapeHtml(
      f.fixedFirmware === 'released' ? 'already released' : `announced for ${f.fixedFirmware}`,
    )}</td></tr>`;
  const half = Math.ceil(TP_LINK_HOMESHIELD_FIXES.length / 2);
  // Two tables side by side: the list stays on one page.
  const fixes = [TP_LINK_HOMESHIELD_FIXES.slice(0, half), TP_LINK_HOMESHIELD_FIXES.slice(half)]
    .map(
      (part) =>
        `<table><thead><tr><th>model</th><th>fixed firmware (TP-Link, March 2022)</th></tr></thead><tbody>\n${part.map(row).join('\n')}\n</tbody></table>`,
    )
    .join('\n');
  const picked = TP_LINK_HOMESHIELD_FIXES.some((f) => f.model === model)
    ? `Your router model, ${escapeHtml(model)}, is on the list (highlighted).`
    : model
      ? `Your router model, ${escapeHtml(model)}, is not on TP-Link's list.`
      : 'No router model was given.';
  return `<div class="compare">
<p>Press reports (2022) on TP-Link routers with HomeShield counted ${range} lookups of <code>*.safethings.avira.com</code> a day, about one a second, also with HomeShield switched off; TP-Link confirmed errors in the DNS request logic and announced fixed firmware per model in March 2022.</p>
${lines.map((l) => `<p>${l}</p>`).join('\n')}
<p>${picked}</p>
</div>
<div class="fixes">
${fixes}
</div>`;
}

/** How the figures are computed, and what DNS Witness cannot see. */
/** Queries reported by a resolver over dnstap: observed, not forwarded, and by whom. */
function observed(s: EvidenceSummary): string {
  const o = s.observed;
  if (!o) return '';
  const who = o.sources.length > 0 ? o.sources.join(', ') : 'the resolvers';
  return `<p><strong>Observed, not forwarded.</strong> DNS Witness also listened for dnstap on ${escapeHtml(o.inputs.join(', '))}: queries that ${escapeHtml(who)} answered and reported there (${o.records_since_start.toLocaleString('en-US')} since the service started) were observed, not forwarded by DNS Witness. The journal marks each of them with its source (<code>src</code>), and the CSV and pcap hold the messages as the resolver reported them.</p>`;
}

function method(s: EvidenceSummary): string {
  const correlations = s.watchlist
    .map((w) => w.correlation?.sentence ?? '')
    .filter((t) => t !== '')
    .map((t) => `<p>${escapeHtml(t)}.</p>`)
    .join('\n');
  return `<div class="method">
<p><strong>Rates.</strong> A rate is taken over the device's own span, from its first to its last lookup of the rule: n lookups are n − 1 intervals, so the daily figure is one day divided by the mean interval (one lookup a second is 86,400 a day), whenever in the recording the device started. The recording time is stated beside it. Below ${MIN_RATE_LOOKUPS} lookups or ${formatSpan(MIN_RATE_SPAN_MS)} the report says "too early to tell" instead of projecting. The median interval and its spread (the standard deviation of the intervals after dropping the 5 % at either end) show whether the lookups come from a timer. The dashboard, <code>summary.json</code> and this report state the same figures.</p>
<p><strong>Markers.</strong> The rate before a marker is counted from the previous marker (or the start of the recording) to the marker, the rate after it from the marker to the next marker (or the end of the recording). No change is claimed until the time after the marker could hold ${MIN_RATE_LOOKUPS} lookups at the rate before. "The same rate" means the count after the marker lies within two standard deviations (√n, as for random arrivals) of what the rate before predicts.</p>
<p><strong>Does the router follow the devices' browsing?</strong> The share of the router's watched lookups that came within the look-back window after a device looked up a site new to it is compared with a chance baseline: the same share with the router's lookup times shifted by random offsets, which keeps their rhythm (bursts, a one-second beacon) and breaks only their alignment with the devices. The baseline is the mean over the shifts; a share well above it, and above the 95th percentile of the shifts, suggests the lookups report browsing.</p>
${correlations}
${observed(s)}
<p><strong>What DNS Witness cannot see.</strong> Only DNS queries sent to DNS Witness are recorded. Lookups over encrypted DNS (DNS over HTTPS or TLS), to a resolver hard-coded in the firmware, answered from a cache, or connections made without a lookup do not appear. A lookup shows that a device asked for a name, not what it sent to the service afterwards.</p>
</div>`;
}

/**
 * The "What to do" section: for each service seen that has a known fix, the steps in the router's own menus,
 * their source, and whether the user marked the fix as applied (its before/after is in the markers table).
 */
function whatToDo(s: EvidenceSummary): string {
  const kb = new Map(KB_RULES.map((r) => [r.id, r]));
  const markers = s.markers.map((m) => ({ ...m, ts: Date.parse(m.time) }));
  const seen = new Set<string>();
  const items: string[] = [];
  for (const r of s.watchlist) {
    const rule = kb.get(r.rule);
    if (!rule) continue;
    for (const fix of fixesFor(rule)) {
      if (seen.has(fix.id)) continue;
      seen.add(fix.id);
      const applied = fixMarker(fix, markers);
      const source = fix.sources
        .map((src) => src.url ?? (src.repo ? `https://github.com/${src.repo} (${src.path ?? ''})` : ''))
        .filter((x) => x !== '');
      items.push(
        `<li><strong>${escapeHtml(fix.title)}</strong> (${escapeHtml(fix.where)}), for ${escapeHtml(`${r.vendor} ${r.integration}`.trim())}` +
          `<ol>${fix.steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>` +
          `<p>${escapeHtml(fix.expect)}</p>` +
          `<p class="muted">Source: ${source.map(escapeHtml).join('; ')}</p>` +
          (applied
            ? `<p class="ok">Marked as applied at ${escapeHtml(applied.time)}: the markers table below shows the rate before and after.</p>`
            : `<p class="muted">Not marked as applied in this capture.</p>`) +
          `</li>`,
      );
    }
  }
  return items.length > 0
    ? `<ul>${items.join('')}</ul>`
    : `<p class="muted">No known fix for the services seen in this selection.</p>`;
}

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
      `${d.first_seen.slice(0, 19).replace('T', ' ')} – ${d.last_seen.slice(0, 19).replace('T', ' ')} (${formatSpan(d.span_ms)} of ${formatSpan(d.capture_span_ms)} recorded)`,
      d.rate_text,
      d.beacon ? `yes, ${d.every}` : 'no',
      d.regularity,
    ]),
  );
  const fixes = whatToDo(s);
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
          e.wait_ms > 0 ? `waiting, about ${formatSpan(e.wait_ms)}` : change(e.change),
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

<h2>What was found</h2>
<div class="finding" data-testid="findings">
${s.findings.map((f) => `<p>${escapeHtml(f)}</p>`).join('\n')}
</div>
${s.imported.length > 0 ? `<h2>Where these queries come from</h2>\n<div class="finding" data-testid="imported">\n${s.imported.map((f) => `<p>${escapeHtml(f)}</p>`).join('\n')}\n</div>` : ''}
<p class="muted">Times are this computer's clock (${escapeHtml(s.computer.time_zone)}, UTC offset ${escapeHtml(s.computer.utc_offset)}). Recorded ${escapeHtml(s.period.from || '—')} to ${escapeHtml(s.period.to || '—')}.</p>

<h2>Watched lookups per hour</h2>
${perHourChart(s)}

<h2>Compared with the published figures</h2>
${comparison(s)}

<h2>How the figures are computed</h2>
${method(s)}

<div class="tables">

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
<p>The manifest is signed with this installation's Ed25519 key, fingerprint <code>${escapeHtml(s.install_key.fingerprint)}</code>: bundles signed with the same fingerprint came from the same installation.</p>
${table(
  ['capture', 'source', 'started', 'stopped', 'queries', 'journal'],
  s.captures.map((c) => [
    c.id,
    c.source
      ? `${c.source.partial === false ? 'imported' : 'partially imported'} from ${c.source.files.map((f) => f.name).join(', ')}`
      : 'recorded by DNS Witness',
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
  ['service', 'device', 'queries', 'first – last lookup', 'rate', 'beacon', 'regularity'],
  rules,
  'No query matched the watchlist.',
)}

<h2>What to do</h2>
${fixes}

<h2>Markers, with the rate before and after</h2>
${table(['time', 'marker', 'rule', 'device', 'before', 'after', 'change'], markerRows, 'No markers were set.')}

<h2>Files</h2>
<ul>${s.files.map((f) => `<li><code>${escapeHtml(f)}</code></li>`).join('')}</ul>
<p class="muted">The journals hold every query of each capture in this selection, with the DNS messages as sent and received, not only the selected queries.</p>
</div>
</body>
</html>
`;
}
