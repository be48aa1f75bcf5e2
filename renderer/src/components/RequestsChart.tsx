import { memo, useMemo, useState } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
  type BaseTickContentProps,
  type TooltipContentProps,
} from 'recharts';
import type { Marker } from '@shared/watch/report';
import { timeTicks, type ChartModel, type SeriesDef } from '../lib/chart-series';
import { formatCount, formatDateMinute, formatMinute, formatRate } from '../lib/format';

export type ChartMode = 'all' | 'watchlist';

interface Props {
  readonly model: ChartModel;
  readonly selectedLabel: string | null;
  /** The user's markers; those inside the window are drawn as labelled vertical lines. */
  readonly markers: readonly Marker[];
  /** All queries with the watchlist drawn over them, or only the watchlist's queries. */
  readonly mode: ChartMode;
  readonly onMode: (mode: ChartMode) => void;
}

const DAY_MS = 24 * 3_600_000;
/** Height above the plot kept for marker labels. */
const MARKER_BAND = 28;
/** The user's markers (--marker in styles.css, a value per theme). */
const MARKER_COLOR = 'var(--marker)';

const isWatch = (s: SeriesDef) => s.kind === 'watch-router' || s.kind === 'watch-other';

// The axes' props keep their identity from one redraw to the next: recharts files each axis's settings (and
// the margin) in its store, and a new function or object there re-files them and draws the chart again.
const minuteTick = (t: number): string => formatMinute(t);
const dayMinuteTick = (t: number): string => formatDateMinute(t).slice(5);
const countTick = (v: number): string => formatCount(v);
const MARGIN = { top: 8, right: 24, bottom: 0, left: 0 };
const MARGIN_WITH_MARKERS = { ...MARGIN, top: MARKER_BAND };

/**
 * A tick label as plain SVG text. Recharts' own label measures each new text in the DOM to wrap it (a forced
 * layout per label, in the middle of a render); ours are short numbers and times that never wrap.
 */
function AxisTick(p: BaseTickContentProps) {
  const text = p.tickFormatter ? p.tickFormatter(p.payload.value, p.index) : String(p.payload.value);
  // The baseline offsets recharts uses: cap height below the tick (x axis), half of it beside (y axis).
  const dy = p.verticalAnchor === 'start' ? '0.71em' : p.verticalAnchor === 'middle' ? '0.355em' : undefined;
  return (
    <text
      x={p.x}
      y={p.y}
      dy={dy}
      textAnchor={p.textAnchor}
      fill={p.fill}
      stroke="none"
      className={p.className}
    >
      {text}
    </text>
  );
}

/**
 * Requests per minute, stacked per device, with the watchlist's queries hatched over them and the user's
 * markers as vertical lines; animation off because it redraws with every frame of data.
 */
export const RequestsChart = memo(function RequestsChart({
  model,
  selectedLabel,
  markers,
  mode,
  onMode,
}: Props) {
  const { window, series, points, stepMinutes } = model;
  const long = window.to - window.from > DAY_MS;
  // Steps, because each value is a count for a whole minute; a closing point at the window's end gives the
  // last minute its width.
  const last = points[points.length - 1];
  const data = useMemo(() => (last ? [...points, { ...last, t: window.to }] : []), [points, last, window.to]);
  const ticks = useMemo(
    () => timeTicks(window, long ? 7 : 12, -new Date(window.to).getTimezoneOffset()),
    [window, long],
  );
  const shownMarkers = markers.filter((m) => m.ts >= window.from && m.ts < window.to);
  // The same figures as a table, for screen readers and for reading exact counts.
  const [asTable, setAsTable] = useState(false);
  return (
    <section className="panel chart" aria-labelledby="chart-title">
      <header className="panel-head">
        <h2 id="chart-title">
          {mode === 'watchlist' ? 'Watchlist queries per minute' : 'Requests per minute'}
        </h2>
        <span className="muted">
          {selectedLabel ? <span>{selectedLabel}</span> : 'stacked by device'}
          {stepMinutes > 1 && ` · average over ${stepMinutes} min`}
        </span>
        <div className="spacer" />
        <div className="segmented small" role="group" aria-label="Chart shows">
          <button type="button" aria-pressed={mode === 'all'} onClick={() => onMode('all')}>
            All queries
          </button>
          <button
            type="button"
            aria-pressed={mode === 'watchlist'}
            onClick={() => onMode('watchlist')}
            title="Only queries that matched a watchlist rule"
          >
            Watchlist only
          </button>
        </div>
        <button
          type="button"
          className="button small"
          aria-pressed={asTable}
          onClick={() => setAsTable((t) => !t)}
          data-testid="chart-as-table"
        >
          Table
        </button>
        <span className="chart-total muted num" data-testid="chart-total">
          {formatCount(model.total)} in range
          {mode === 'all' && model.watched > 0 && (
            <span className="chart-watched" data-testid="chart-watched">
              {' '}
              · {formatCount(model.watched)} watchlist
            </span>
          )}
        </span>
        <ul className="legend" aria-label="Series">
          {series.map((s) => (
            <li
              key={s.key}
              className={isWatch(s) ? 'legend-watch' : undefined}
              // A device's legend shows its name; the address is on hover (and for tests, as data).
              title={s.kind === 'device' ? s.clients.join(', ') : undefined}
              data-address={s.kind === 'device' ? s.clients[0] : undefined}
            >
              <Swatch series={s} />
              <span className={s.kind === 'device' && s.label === s.clients[0] ? 'mono' : undefined}>
                {s.label}
              </span>
              {s.router && s.kind === 'device' && <span className="tag router">Router</span>}
            </li>
          ))}
          {shownMarkers.length > 0 && (
            <li className="legend-marker">
              <svg width="10" height="10" aria-hidden="true">
                <line
                  x1="5"
                  y1="0"
                  x2="5"
                  y2="10"
                  stroke={MARKER_COLOR}
                  strokeWidth="2"
                  strokeDasharray="3 2"
                />
              </svg>
              <span>
                {shownMarkers.length === 1 ? '1 marker' : `${formatCount(shownMarkers.length)} markers`}
              </span>
            </li>
          )}
        </ul>
      </header>
      {asTable && <ChartTable model={model} />}
      <div className="chart-body" data-testid="requests-chart" hidden={asTable}>
        <AreaChart
          responsive
          width="100%"
          height="100%"
          data={data}
          // Marker labels sit in a band above the plot, so they never cover the areas.
          margin={shownMarkers.length > 0 ? MARGIN_WITH_MARKERS : MARGIN}
        >
          <defs>
            {series.filter(isWatch).map((s) => (
              <pattern
                key={s.key}
                id={`hatch-${s.key}`}
                patternUnits="userSpaceOnUse"
                width="6"
                height="6"
                patternTransform="rotate(45)"
              >
                <rect width="6" height="6" fill={s.color} fillOpacity="0.18" />
                <line x1="0" y1="0" x2="0" y2="6" stroke={s.color} strokeWidth="2.5" />
              </pattern>
            ))}
          </defs>
          <CartesianGrid vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[window.from, window.to]}
            ticks={ticks}
            interval={0}
            tickFormatter={long ? dayMinuteTick : minuteTick}
            tick={AxisTick}
            tickLine={false}
          />
          <YAxis
            allowDecimals={stepMinutes > 1}
            tickFormatter={countTick}
            tick={AxisTick}
            width={52}
            interval={0}
            tickLine={false}
            axisLine={false}
          />
          <Tooltip isAnimationActive={false} content={(props) => <ChartTooltip {...props} model={model} />} />
          {series.map((s) =>
            isWatch(s) ? (
              // Over the stacked areas, not part of the stack: the hatched part is the watchlist's share.
              <Area
                key={s.key}
                dataKey={s.key}
                name={s.label}
                className={`watch-series ${s.kind}`}
                type="stepAfter"
                stroke={s.color}
                fill={`url(#hatch-${s.key})`}
                fillOpacity={1}
                strokeWidth={2.5}
                isAnimationActive={false}
                dot={false}
                activeDot={{ r: 3 }}
              />
            ) : (
              <Area
                key={s.key}
                dataKey={s.key}
                name={s.label}
                stackId="devices"
                type="stepAfter"
                stroke={s.color}
                fill={s.color}
                fillOpacity={0.3}
                strokeWidth={1.5}
                isAnimationActive={false}
                dot={false}
                activeDot={{ r: 3 }}
              />
            ),
          )}
          {shownMarkers.map((m) => (
            <ReferenceLine
              key={m.id}
              x={m.ts}
              className="marker-line"
              stroke={MARKER_COLOR}
              strokeWidth={1.5}
              strokeDasharray="5 3"
              ifOverflow="discard"
              label={(props: { viewBox?: { x?: number; y?: number } }) => (
                <MarkerLabel
                  x={props.viewBox?.x ?? 0}
                  y={props.viewBox?.y ?? 0}
                  text={m.label}
                  // Late markers (the usual case: "just now") label to the left so the text stays inside.
                  left={(m.ts - window.from) / (window.to - window.from) > 0.6}
                />
              )}
            />
          ))}
        </AreaChart>
      </div>
    </section>
  );
});

/** Minutes shown at most in the table: the latest ones with queries. */
const TABLE_ROWS = 240;

/** The chart's figures: one row per minute (or step) with queries, one column per series, newest first. */
function ChartTable({ model }: { model: ChartModel }) {
  const fmt = model.stepMinutes > 1 ? formatRate : formatCount;
  const rows = model.points
    .filter((p) => model.series.some((s) => (Number(p[s.key]) || 0) > 0))
    .slice(-TABLE_ROWS)
    .reverse();
  return (
    <div className="chart-table" data-testid="chart-table">
      <table>
        <caption className="muted">
          {model.stepMinutes > 1
            ? `Queries per minute, averaged over ${model.stepMinutes} min`
            : 'Queries per minute'}
          {rows.length === 0 && ': none in this range'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {model.series.map((s) => (
              <th key={s.key} scope="col" className="right">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.t}>
              <th scope="row" className="num">
                {formatDateMinute(p.t)}
              </th>
              {model.series.map((s) => (
                <td key={s.key} className="num right">
                  {fmt(Number(p[s.key]) || 0)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Swatch({ series }: { series: SeriesDef }) {
  if (!isWatch(series))
    return (
      <svg width="10" height="10" aria-hidden="true">
        <rect width="10" height="10" rx="2" fill={series.color} />
      </svg>
    );
  return (
    <svg width="14" height="10" aria-hidden="true">
      <rect x="0.75" y="0.75" width="12.5" height="8.5" rx="2" fill={series.color} fillOpacity="0.18" />
      <path d="M2 9 L7 1 M6 9 L11 1 M10 9 L13 4" stroke={series.color} strokeWidth="1.4" />
      <rect
        x="0.75"
        y="0.75"
        width="12.5"
        height="8.5"
        rx="2"
        fill="none"
        stroke={series.color}
        strokeWidth="1.5"
      />
    </svg>
  );
}

/** A marker's label in the band above the plot, at the top of its line. */
function MarkerLabel({ x, y, text, left }: { x: number; y: number; text: string; left: boolean }) {
  const shown = text.length > 40 ? `${text.slice(0, 39)}…` : text;
  // The plate is estimated (nobody measures the text); the text is anchored at the line, so an estimate
  // that is off moves the plate's far edge, never the text past the line.
  const width = shown.length * 6.8 + 14;
  const bx = left ? x - width - 3 : x + 3;
  return (
    <g className="marker-label" data-testid="chart-marker">
      <rect x={bx} y={y - MARKER_BAND + 4} width={width} height={18} rx={4} />
      <text x={left ? x - 10 : x + 10} y={y - MARKER_BAND + 17} textAnchor={left ? 'end' : 'start'}>
        {shown}
      </text>
    </g>
  );
}

function ChartTooltip({ active, payload, label, model }: TooltipContentProps & { model: ChartModel }) {
  if (!active || !payload || payload.length === 0 || typeof label !== 'number') return null;
  if (label >= model.window.to) return null;
  const watchKeys = new Set(model.series.filter(isWatch).map((s) => s.key));
  const stacked = payload.filter((p) => !watchKeys.has(String(p.dataKey)));
  const total = stacked.reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : 0), 0);
  // Whole counts per minute, or averages with one decimal when a point spans several minutes.
  const fmt = model.stepMinutes > 1 ? formatRate : formatCount;
  return (
    <div className="chart-tooltip">
      <div className="muted">
        {formatDateMinute(label)}
        {model.stepMinutes > 1 && ` + ${model.stepMinutes} min`}
      </div>
      <table>
        <tbody>
          {[...stacked].reverse().map((p) => (
            <tr key={String(p.dataKey)}>
              <td>
                <svg width="8" height="8" aria-hidden="true">
                  <rect width="8" height="8" rx="2" fill={String(p.color ?? '')} />
                </svg>{' '}
                {p.name}
              </td>
              <td className="num">{fmt(typeof p.value === 'number' ? p.value : 0)}</td>
            </tr>
          ))}
          {stacked.length > 1 && (
            <tr className="tooltip-total">
              <td>Total per minute</td>
              <td className="num">{fmt(total)}</td>
            </tr>
          )}
          {payload
            .filter((p) => watchKeys.has(String(p.dataKey)))
            .map((p) => (
              <tr key={String(p.dataKey)} className="tooltip-watch">
                <td>
                  <svg width="8" height="8" aria-hidden="true">
                    <rect width="8" height="8" rx="2" fill={String(p.color ?? '')} />
                  </svg>{' '}
                  {p.name} (included above)
                </td>
                <td className="num">{fmt(typeof p.value === 'number' ? p.value : 0)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
