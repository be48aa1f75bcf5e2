import { memo } from 'react';
import { CATEGORY_NOTES } from '@shared/watch/rules';
import { CATEGORY_TAGS, type Finding } from '../lib/watch-text';

interface Props {
  /** The router's findings, alarming ones first (see routerFindings). */
  readonly router: readonly Finding[];
  /** Other devices' findings (see clientFindings). */
  readonly clients: readonly Finding[];
  /** Opens the watchlist panel. */
  readonly onDetails: () => void;
}

/** Further findings listed under the main one before "and N more". */
const MORE_LINES = 2;

const TONE_RANK: Readonly<Record<Finding['tone'], number>> = { alarm: 0, notice: 1, info: 2 };

/**
 * The loudest thing on the page: the router contacting a watched service, as one sentence with its rate,
 * beacon and the reported figure. Other devices get a quieter line; connectivity checks a calm one.
 */
export const WatchBanner = memo(function WatchBanner({ router, clients, onDetails }: Props) {
  // The router's alarms first, then other devices, then the router's connectivity checks.
  const all = [...router, ...clients].sort((a, b) => TONE_RANK[a.tone] - TONE_RANK[b.tone]);
  const main = all[0];
  if (!main) return null;
  const shown = all.slice(1, 1 + MORE_LINES);
  const hidden = all.length - 1 - shown.length;
  return (
    <section
      className={`watch-banner tone-${main.tone}`}
      aria-label="Watchlist findings"
      data-testid="watch-banner"
      data-tone={main.tone}
    >
      <span className="watch-banner-icon" aria-hidden="true">
        {main.tone === 'info' ? 'i' : '!'}
      </span>
      <div className="watch-banner-body">
        <p className="watch-headline">
          <span
            className={`tag cat-${main.category} watch-category`}
            data-testid="watch-category"
            title={CATEGORY_NOTES[main.category]}
          >
            {CATEGORY_TAGS[main.category]}
          </span>{' '}
          <span data-testid="watch-headline">{main.headline}</span>
        </p>
        <p
          className="watch-detail"
          title={main.explanation !== '' ? `${main.meta} · ${main.explanation}` : main.meta}
        >
          <span className="watch-meta">{main.meta}</span>
          {main.explanation !== '' && <span> · {main.explanation}</span>}
        </p>
        {main.comparison !== '' && (
          <p className="watch-compare" data-testid="watch-compare">
            {main.comparison}
          </p>
        )}
        {main.effect !== '' && (
          <p className="watch-effect" data-testid="watch-effect">
            <span className="marker-dot" aria-hidden="true" />
            {main.effect}
          </p>
        )}
        {shown.length > 0 && (
          <ul className="watch-more">
            {shown.map((f) => (
              <li key={f.key} className={`tone-${f.tone}`}>
                {f.headline}
              </li>
            ))}
            {hidden > 0 && <li className="muted">and {hidden} more in the watchlist</li>}
          </ul>
        )}
      </div>
      <button type="button" className="button small" onClick={onDetails}>
        Watchlist details
      </button>
    </section>
  );
});
