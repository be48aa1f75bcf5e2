export type LowerPanel = 'log' | 'watchlist';

interface Props {
  readonly panel: LowerPanel;
  readonly onPanel: (panel: LowerPanel) => void;
  /** Watched services seen so far, shown on the watchlist tab. */
  readonly seen: number;
  /** The router contacted a watched service (not a connectivity check): the tab is marked. */
  readonly alarm: boolean;
}

/** Switches the lower panel between the query log and the watchlist; the chart above stays. */
export function PanelTabs({ panel, onPanel, seen, alarm }: Props) {
  return (
    <div className="panel-tabs" role="tablist" aria-label="Lower panel">
      <button
        type="button"
        role="tab"
        aria-selected={panel === 'log'}
        onClick={() => onPanel('log')}
        data-testid="tab-log"
      >
        Query log
      </button>
      <button
        type="button"
        role="tab"
        aria-selected={panel === 'watchlist'}
        onClick={() => onPanel('watchlist')}
        data-testid="tab-watchlist"
      >
        Watchlist
        {seen > 0 && <span className={`count${alarm ? ' alarm' : ''}`}>{seen}</span>}
      </button>
    </div>
  );
}
