import type { Toast } from '../lib/watch-store';

interface Props {
  readonly toasts: readonly Toast[];
  readonly onDismiss: (id: number) => void;
  /** Opens the watchlist panel. */
  readonly onShow: () => void;
}

/** Alerts in the corner: the router's first contact with a watched service, as the engine reports it. */
export function Toasts({ toasts, onDismiss, onShow }: Props) {
  return (
    <div className="toasts" aria-live="assertive">
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
  );
}
