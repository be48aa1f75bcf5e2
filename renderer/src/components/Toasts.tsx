import type { Toast } from '../lib/watch-store';

interface Props {
  readonly toasts: readonly Toast[];
  readonly onDismiss: (id: number) => void;
  /** Opens the watchlist panel. */
  readonly onShow: () => void;
  /** The latest export or status message ("CSV ready: 680 queries"); "" for none. */
  readonly status?: string;
  readonly onDismissStatus?: () => void;
}

/** Alerts in the corner: the router's first contact with a watched service, as the engine reports it. */
export function Toasts({ toasts, onDismiss, onShow, status = '', onDismissStatus }: Props) {
  return (
    <div className="toasts">
      {/* Export and status messages float here, so a long one never reflows the toolbar. */}
      <div className="toast-status-slot" role="status" aria-live="polite">
        {status !== '' && (
          <div className="toast status" data-testid="status-toast">
            <span className="toast-body">{status}</span>
            {onDismissStatus && (
              <button
                type="button"
                className="toast-close"
                aria-label="Dismiss message"
                title="Dismiss"
                onClick={onDismissStatus}
              >
                ×
              </button>
            )}
          </div>
        )}
      </div>
      <div aria-live="assertive" className="toast-alerts">
        {toasts.map((t) => (
          <div key={t.id} className="toast" role="alert" data-testid="toast">
            <span className="toast-mark" aria-hidden="true">
              !
            </span>
            <div className="toast-body">
              <strong>Router telemetry detected</strong>
              <span>{t.alert.message}</span>
              <button
                type="button"
                className="link"
                onClick={() => {
                  onShow();
                  onDismiss(t.id);
                }}
              >
                Show in the watchlist
              </button>
            </div>
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss"
              title="Dismiss"
              onClick={() => onDismiss(t.id)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
