import { useEffect, useRef, useState } from 'react';
import { THEME_CHOICES, type ThemeChoice } from '@shared/theme';
import type { Dashboard } from '../lib/dashboard';
import { applyTheme, shownTheme } from '../lib/theme';

const LABELS: Readonly<Record<ThemeChoice, string>> = { system: 'System', light: 'Light', dark: 'Dark' };

/**
 * The Settings panel's theme choice. It applies at once, without the form's Save: the engine keeps it for the
 * desktop app and every browser tab, which follow through theme:change.
 */
export function ThemeSection({ invoke }: { readonly invoke: Dashboard['invoke'] }) {
  const [theme, setTheme] = useState<ThemeChoice>(() => shownTheme(document));
  const [message, setMessage] = useState('');
  // A choice made before the engine's answer arrived wins over that answer.
  const chosen = useRef(false);
  useEffect(() => {
    invoke('theme:get', undefined)
      .then((t) => {
        if (!chosen.current) setTheme(t.theme);
      })
      .catch(() => undefined);
  }, [invoke]);

  const choose = (next: ThemeChoice): void => {
    const before = theme;
    chosen.current = true;
    setTheme(next);
    setMessage('');
    applyTheme(document, next);
    invoke('theme:set', { theme: next }).catch((err: unknown) => {
      setTheme(before);
      applyTheme(document, before);
      setMessage(`Not saved: ${err instanceof Error ? err.message : String(err)}`);
    });
  };

  return (
    <fieldset className="settings-theme" data-testid="settings-theme">
      <legend>Theme</legend>
      <div className="segmented">
        {THEME_CHOICES.map((choice) => (
          <label key={choice} className={choice === theme ? 'checked' : undefined}>
            <input
              type="radio"
              name="theme"
              value={choice}
              checked={choice === theme}
              onChange={() => choose(choice)}
            />
            {LABELS[choice]}
          </label>
        ))}
      </div>
      <p className="setting-hint">
        System follows this computer’s light or dark mode. Applies at once, in the app and in every browser
        tab of this dashboard.
      </p>
      {message !== '' && (
        <p className="setting-error" role="alert">
          {message}
        </p>
      )}
    </fieldset>
  );
}
