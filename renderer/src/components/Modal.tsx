import { useEffect, useRef, type ReactNode } from 'react';

interface Props {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** 'alertdialog' for guidance the user must read (the restore steps). */
  readonly role?: 'dialog' | 'alertdialog';
  readonly wide?: boolean;
  readonly testId?: string;
}

/** A modal panel over the dashboard: focused when it opens, closed with Esc or its Close button. */
export function Modal({ title, onClose, children, role = 'dialog', wide = false, testId }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  // The latest onClose without re-running the effect below: parents pass a new function on every render
  // (once a second while the status ticks), and re-running it took the focus from the field being typed in.
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  }, [onClose]);
  useEffect(() => {
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className={wide ? 'modal wide' : 'modal'}
        role={role}
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        data-testid={testId}
      >
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="button small" onClick={onClose} aria-label={`Close ${title}`}>
            Close
          </button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}
