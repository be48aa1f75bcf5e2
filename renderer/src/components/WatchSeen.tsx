import type { DeviceInfo } from '@shared/events';
import { perDayText, perHourText, rateIsKnown } from '@shared/watch/lookup-rate';
import { duration } from '@shared/watch/rates';
import type { DeviceRuleStats, RuleReport, WatchReport } from '@shared/watch/report';
import type { ActiveRule } from '@shared/watch/rules';
import { formatCount, formatDateMinute } from '../lib/format';
import {
  CATEGORY_TAGS,
  CONFIDENCE_LABELS,
  describeDevice,
  effectText,
  formatSpan,
  regularityText,
  reportedComparison,
  serviceName,
} from '../lib/watch-text';

interface Props {
  readonly report: WatchReport | null;
  readonly devices: ReadonlyMap<string, DeviceInfo>;
  readonly rules: readonly ActiveRule[];
  readonly routerModel: string;
}

/** Every watched service seen, per device: count, rates, beacon and regularity, and each marker's effect. */
export function WatchSeen({ report, devices, rules }: Props) {
  if (!report) return <p className="panel-note muted">Loading the watchlist…</p>;
  if (report.rules.length === 0) {
    const enabled = rules.filter((r) => r.enabled).length;
    return (
      <div className="watch-empty">
        <p>
          <strong>No watchlist traffic yet.</strong> DNS Witness checks every query against{' '}
          {enabled > 0 ? `${formatCount(enabled)} enabled rules` : 'its rules'}: router telemetry and the
          security clouds behind router features such as TP-Link HomeShield (Avira SafeThings), ASUS
          AiProtection (Trend Micro) and NETGEAR Armor (Bitdefender).
        </p>
        <p className="muted">
          A match is highlighted in the log and the chart; the router&rsquo;s own matches raise a banner.
        </p>
      </div>
    );
  }
  const isRouter = (d: DeviceRuleStats) => d.isRouter || devices.get(d.address)?.isRouter === true;
  return (
    <div className="seen-list">
      <p className="panel-sub muted seen-intro">
        Over {formatSpan(report.windowMs)} of recording. Per day is each device&rsquo;s rate from its first to
        its last lookup, projected to 24 hours; below 10 lookups over 10 minutes it is too early to tell.
      </p>
      {report.rules.map((r) => (
        <SeenRule key={r.rule} r={r} report={report} devices={devices} isRouter={isRouter} />
      ))}
    </div>
  );
}

function SeenRule({
  r,
  report,
  devices,
  isRouter,
}: {
  r: RuleReport;
  report: WatchReport;
  devices: ReadonlyMap<string, DeviceInfo>;
  isRouter: (d: DeviceRuleStats) => boolean;
}) {
  const routerDevice = r.devices.find(isRouter);
  const tone = r.category === 'connectivity' ? 'calm' : routerDevice ? 'alarm' : 'notice';
  const markers = new Map(report.markers.map((m) => [m.id, m]));
  const effects = report.effects.filter((e) => e.rule === r.rule && markers.has(e.marker));
  const comparison = routerDevice ? reportedComparison(r.rule, routerDevice.rate) : '';
  return (
    <article className={`seen-rule ${tone}`} data-testid="seen-rule" data-rule={r.rule}>
      <header className="seen-head">
        <h3>{serviceName(r)}</h3>
        <span className={`tag cat-${r.category}`}>{CATEGORY_TAGS[r.category]}</span>
        <span className="tag conf" title="How well the rule is supported">
          {CONFIDENCE_LABELS[r.confidence]}
        </span>
        <span className="spacer" />
        <span className="num seen-total">
          {formatCount(r.queries)} {r.queries === 1 ? 'query' : 'queries'}
          {rateIsKnown(r.rate) ? ` · ${perDayText(r.rate)}` : ''}
        </span>
      </header>
      {r.explanation !== '' && <p className="seen-expl muted">{r.explanation}</p>}
      <table className="seen-table">
        <thead>
          <tr>
            <th>Device</th>
            <th className="right">Queries</th>
            <th className="right">Per hour</th>
            <th className="right">Per day</th>
            <th>Interval</th>
            <th>Regularity</th>
          </tr>
        </thead>
        <tbody>
          {r.devices.map((d) => [
            <tr key={d.address} data-testid="seen-device" data-address={d.address}>
              <td>
                <span className="ellipsis">{describeDevice(d.address, devices)}</span>
                {isRouter(d) && <span className="tag router">Router</span>}
              </td>
              <td className="num right">{formatCount(d.queries)}</td>
              <td className="num right">{perHourText(d.rate)}</td>
              <td className="num right">{perDayText(d.rate)}</td>
              <td className="num" data-testid="seen-every">
                {d.every ||
                  (d.rate.medianIntervalMs > 0 ? `median ${duration(d.rate.medianIntervalMs)}` : '–')}
              </td>
              <td>
                <span
                  className="regularity"
                  title={`Regularity score ${d.rate.regularity.toFixed(2)} (1 = a timer)`}
                >
                  <svg width="36" height="6" aria-hidden="true">
                    <rect width="36" height="6" rx="3" className="track" />
                    <rect width={Math.max(2, 36 * d.rate.regularity)} height="6" rx="3" className="fill" />
                  </svg>
                  {regularityText(d.rate)}
                </span>
              </td>
            </tr>,
            d.names.length > 1 || d.otherNames > 0 ? (
              <tr key={`${d.address} names`} className="seen-names-row">
                <td colSpan={6}>
                  <SeenNames d={d} />
                </td>
              </tr>
            ) : null,
          ])}
        </tbody>
      </table>
      {comparison !== '' && <p className="seen-compare">{comparison}</p>}
      {effects.length > 0 && (
        <ul className="effects" aria-label={`Markers and ${serviceName(r)}`}>
          {effects.map((e) => {
            const m = markers.get(e.marker)!;
            return (
              <li key={`${e.marker} ${e.address}`} data-testid="marker-effect">
                <span className="marker-dot" aria-hidden="true" />
                <span className="muted num">{formatDateMinute(m.ts).slice(11)}</span>{' '}
                <span className="mono">{e.address}</span> {effectText(e, m)}
              </li>
            );
          })}
        </ul>
      )}
    </article>
  );
}

/** The names behind one device's count, each with its own rate: which exact name beacons, which are one-offs. */
function SeenNames({ d }: { d: DeviceRuleStats }) {
  const distinct = d.names.length + d.otherNames;
  return (
    <details className="seen-names" data-testid="seen-names">
      <summary>
        {formatCount(distinct)} distinct names
        {d.otherNames > 0 ? ` (the ${d.names.length} most queried below)` : ''}
      </summary>
      <table>
        <tbody>
          {d.names.map((n) => (
            <tr key={n.name} data-testid="seen-name" data-name={n.name}>
              <td className="mono ellipsis">{n.name}</td>
              <td className="num right">{formatCount(n.queries)}</td>
              <td className="num right">
                {/* A day projected from a handful of queries says nothing. */}
                {rateIsKnown(n.rate) ? perDayText(n.rate) : '–'}
              </td>
              <td className="num">
                {n.every ||
                  (n.rate.medianIntervalMs > 0 ? `median ${duration(n.rate.medianIntervalMs)}` : '–')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
