import { memo, useMemo, useState } from 'react';
import type { NameCounts } from '../lib/hooks';
import { formatCount } from '../lib/format';
import { topNames } from '../lib/top-names';

interface Props {
  readonly names: NameCounts;
  /** What the counts cover, e.g. "All devices · last 1 h". */
  readonly scope: string;
}

const LIMIT = 15;

/** The most asked names for the current filter, with counts; rotating subdomains can be grouped. */
export const TopDomains = memo(function TopDomains({ names, scope }: Props) {
  const [grouped, setGrouped] = useState(true);
  const { rows } = useMemo(() => topNames(names.counts, grouped, LIMIT), [names.counts, grouped]);
  const max = rows[0]?.count ?? 1;
  const partial = names.counted < names.total;
  return (
    <section className="panel top" aria-labelledby="top-title">
      <header className="panel-head">
        <h2 id="top-title">Top domains</h2>
        <div className="spacer" />
        <div className="segmented small" role="group" aria-label="Count names">
          <button
            type="button"
            aria-pressed={grouped}
            onClick={() => setGrouped(true)}
            title="Count x1.example.com under *.example.com"
          >
            Grouped
          </button>
          <button type="button" aria-pressed={!grouped} onClick={() => setGrouped(false)}>
            Exact
          </button>
        </div>
      </header>
      <p className="panel-sub muted">
        {scope}
        {partial && ` · newest ${formatCount(names.counted)} of ${formatCount(names.total)}`}
      </p>
      {names.error !== '' ? (
        <p className="panel-note bad">Could not count names: {names.error}</p>
      ) : rows.length === 0 ? (
        <p className="panel-note muted">{names.loading ? 'Counting…' : 'No queries in this range.'}</p>
      ) : (
        <ol className="top-list" data-testid="top-domains">
          {rows.map((r) => (
            <li key={r.name}>
              <span className="mono ellipsis" title={r.name}>
                {r.name}
              </span>
              <span className="num">{formatCount(r.count)}</span>
              <svg className="top-bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
                <rect width={Math.max(1, (r.count / max) * 100)} height="4" rx="1" />
              </svg>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
});
