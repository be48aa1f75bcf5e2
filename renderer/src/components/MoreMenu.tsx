import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

/** An action of the menu; `className` lets the page's CSS show only those folded out of the toolbar. */
export interface MenuAction {
  readonly key: string;
  readonly label: string;
  readonly title?: string;
  readonly className?: string;
  readonly run: () => void;
}

/** The items a user can reach now: those the CSS shows (folded actions only). */
function shownItems(menu: HTMLElement | null): HTMLElement[] {
  if (!menu) return [];
  return [...menu.querySelectorAll<HTMLElement>('[role="menuitem"]')].filter((e) => e.offsetParent !== null);
}

/**
 * A "More" button with a menu (the WAI-ARIA menu button pattern): a click, Enter, Space or ↓ opens it on the
 * first item, ↑ on the last; ↑ ↓ Home End move; Enter runs an item; Escape or Tab closes it, Escape and running an item
 * put the focus back on the button. A click outside closes it.
 */
export function MoreMenu({
  actions,
  label = 'More',
  className,
}: {
  readonly actions: readonly MenuAction[];
  readonly label?: string;
  readonly className?: string;
}) {
  const [open, setOpen] = useState(false);
  // Which item to focus once the menu is drawn.
  const [focusAt, setFocusAt] = useState<'first' | 'last'>('first');
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    const items = shownItems(menu.current);
    items[focusAt === 'first' ? 0 : items.length - 1]?.focus();
    const outside = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open, focusAt]);

  const show = (at: 'first' | 'last') => {
    setFocusAt(at);
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  const onButtonKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      show('first');
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      show('last');
    } else if (e.key === 'Escape' && open) {
      e.stopPropagation();
      close(true);
    }
  };

  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = shownItems(menu.current);
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    switch (e.key) {
      case 'ArrowDown':
        move(at + 1);
        break;
      case 'ArrowUp':
        move(at < 0 ? -1 : at - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(-1);
        break;
      case 'Escape':
        // Only the menu closes, not a dialog or anything else listening for Escape.
        e.stopPropagation();
        close(true);
        break;
      case 'Tab':
        close(false);
        return;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div className={className ? `more-menu ${className}` : 'more-menu'}>
      <button
        ref={button}
        type="button"
        className="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => (open ? close(false) : show('first'))}
        onKeyDown={onButtonKey}
      >
        {label}
        <span className="more-caret" aria-hidden="true" />
      </button>
      {open && (
        <div ref={menu} id={id} className="menu" role="menu" aria-label={label} onKeyDown={onMenuKey}>
          {actions.map((a) => (
            <button
              key={a.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={a.className}
              title={a.title}
              onClick={() => {
                close(true);
                a.run();
              }}
            >
              {a.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
