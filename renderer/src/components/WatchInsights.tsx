import { memo, useState, type ReactNode } from 'react';
import { deviceLabel } from '@shared/devices';
import type { DeviceInfo } from '@shared/events';
import type { CorrelationVerdict } from '@shared/watch/correlation';
import {
  correlationSentence,
  methodText,
  shapeSentence,
  topDeviceText,
  verdictText,
} from '@shared/watch/correlation-text';
import type { RuleCorrelation, WatchReport } from '@shared/watch/report';
import { CATEGORY_NOTES, type RuleCategory } from '@shared/watch/rules';
import type { VisibilityCheck } from '@shared/watch/visibility';
import { serviceName } from '@shared/watch/service-name';
import { CATEGORY_TAGS } from '../lib/watch-text';
import './watch-insights.css';

interface Props {
  readonly report: WatchReport | null;
  readonly devices: ReadonlyMap<string, DeviceInfo>;
  /** The saved look-back window (seconds), null until the settings are loaded. */
  readonly windowS: number | null;
  readonly onWindow: (seconds: number) => void;
}

/** Windows offered; a saved value outside these (set through the API) is shown as well. */
const WINDOW_CHOICES = [1, 2, 3, 5, 10, 30];

/** Correlation lines shown at most; the rest are in /api/summary. */
const MAX_LINES = 2;

const VERDICT_TAGS: Readonly<Record<CorrelationVerdict, string>> = {
  'tracks-browsing': 'Follows browsing',
  independent: 'Like chance',
  unclear: 'Unclear',
  'too-few': 'Too few to tell',
};

/**
 * Under the watchlist banner: whether the router's lookups follow the devices' browsing ("84 % … by chance:
 * 9 %"), encoded-looking lookups, and what the capture cannot see. Connectivity checks get no correlation
 * line: they are timers, and saying so for each would only add noise.
 */
export const WatchInsights = memo(function WatchInsights({ report, devices, windowS, onWindow }: Props) {
  if (!report) return null;
  const rules = new Map(report.rules.map((r) => [r.rule, r]));
  const lines = (report.correlation ?? [])
    .filter((c) => c.lookups > 0 && rules.get(c.rule)?.category !== 'connectivity')
    .slice(0, MAX_LINES);
  const encoded = (report.lookupShape ?? []).filter((d) => d.encoded).slice(0, MAX_LINES);
  const hints = report.visibility ?? [];
  if (lines.length === 0 && encoded.length === 0 && hints.length === 0) return null;
  const nameOf = (address: string) => {
    const d = devices.get(address);
    return d ? deviceLabel(d) : address;
  };
  return (
    <section
      className="watch-insights"
      aria-label="How the router’s lookups relate to browsing"
      data-testid="watch-insights"
    >
      {lines.map((c, i) => {
        const r = rules.get(c.rule);
        return (
          <CorrelationLine
            key={c.rule}
            c={c}
            service={r ? serviceName(r) : c.rule}
            category={r?.category ?? 'vendor-cloud'}
            device={topDeviceText(c, nameOf)}
            // One window for every line: its choice sits at the end of the first, taking no row of its own.
            windowChoice={
              i === 0 && windowS !== null ? <WindowChoice value={windowS} onChange={onWindow} /> : null
            }
          />
        );
      })}
      {encoded.map((d) => (
        <p key={d.domain} className="insight-row" data-testid="encoded-lookups" data-domain={d.domain}>
          <span className="tag insight-encoded">Encoded lookups</span> {shapeSentence(d)}
        </p>
      ))}
      {hints.length > 0 && (
        <ul className="visibility-hints" aria-label="What this capture cannot see">
          {hints.map((h) => (
            <li
              key={`${h.code} ${h.rule} ${h.address}`}
              className={`hint-${h.severity}`}
              data-testid="visibility-hint"
              data-code={h.code}
            >
              <strong>{h.code === 'device-bypass' ? bypassTitle(h, nameOf) : h.title}.</strong> {h.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
});

/** A bypass hint names the device by its label when the dashboard knows it ("Anna's phone may resolve…"). */
function bypassTitle(h: VisibilityCheck, nameOf: (address: string) => string): string {
  const name = nameOf(h.address);
  return name === h.address ? h.title : h.title.replace(h.address, `${name}, ${h.address}`);
}

/** The look-back window, as a small select. */
function WindowChoice({ value, onChange }: { value: number; onChange: (seconds: number) => void }) {
  return (
    <label className="insight-window">
      window{' '}
      <select
        value={value}
        data-testid="correlation-window"
        aria-label="Look-back window"
        onChange={(e) => onChange(Number(e.target.value))}
      >
        {[...new Set([...WINDOW_CHOICES, value])]
          .sort((a, b) => a - b)
          .map((s) => (
            <option key={s} value={s}>
              {s} s
            </option>
          ))}
      </select>
    </label>
  );
}

function CorrelationLine({
  c,
  service,
  category,
  device,
  windowChoice,
}: {
  c: RuleCorrelation;
  service: string;
  category: RuleCategory;
  device: string;
  windowChoice: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const id = `correlation-method-${c.rule}`;
  return (
    <div
      className={`insight-row correlation-line verdict-${c.verdict}`}
      data-testid="correlation-line"
      data-rule={c.rule}
      data-lookups={c.lookups}
      data-followed={c.followedShare.toFixed(3)}
      data-chance={c.chanceShare.toFixed(3)}
    >
      <span className={`tag cat-${category}`} title={CATEGORY_NOTES[category]}>
        {CATEGORY_TAGS[category]}
      </span>{' '}
      <span className="correlation-sentence" data-testid="correlation-sentence">
        {correlationSentence(c, service)}
      </span>{' '}
      <span className="tag insight-verdict" data-testid="correlation-verdict">
        {VERDICT_TAGS[c.verdict]}
      </span>
      <button
        type="button"
        className="insight-help"
        aria-expanded={open}
        aria-controls={id}
        aria-label="How is this measured?"
        title="How is this measured?"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
      >
        ?
      </button>{' '}
      {windowChoice}
      {device !== '' && <span className="insight-device muted"> {device}</span>}
      {open && (
        <div id={id} role="note" className="insight-popover" data-testid="correlation-method">
          <p>{verdictText(c.verdict)}</p>
          <p>{methodText(c.windowMs)}</p>
          <p className="muted">
            {c.lookups.toLocaleString()} lookups, {c.newDomains.toLocaleString()} new-site lookups; chance
            from shifted timelines, 95th percentile {Math.round(c.chanceHigh * 100)} %.
          </p>
        </div>
      )}
    </div>
  );
}
