import { memo, useMemo, useState } from 'react';
import { suggestRuleExport, type UnknownName } from '@shared/watch/unknown-names';
import { formatCount } from '../lib/format';

interface Props {
  readonly names: readonly UnknownName[] | undefined;
  readonly routerModel: string;
}

/** Names shown before "show all". */
const SHOWN = 15;

const time = (ts: number) => new Date(ts).toLocaleString();

/**
 * The router's names that no rule explains, with counts and first/last seen, and the "suggest a rule"
 * export: names and counts only (no addresses, device names or times), to copy and send in.
 */
export const UnknownNames = memo(function UnknownNames({ names = [], routerModel }: Props) {
  const [all, setAll] = useState(false);
  const [exported, setExported] = useState(false);
  const [copied, setCopied] = useState('');
  const text = useMemo(() => suggestRuleExport(names, routerModel), [names, routerModel]);
  if (names.length === 0)
    return (
      <section className="unknown-names" aria-label="Router names no rule explains">
        <h3>Router names no rule explains</h3>
        <p className="panel-note muted">None yet: every name the router asked is explained by a rule.</p>
      </section>
    );
  const shown = all ? names : names.slice(0, SHOWN);
  const copy = () => {
    navigator.clipboard
      ?.writeText(text)
      .then(() => setCopied('Copied.'))
      .catch(() => setCopied('Copying was not allowed: select the text and copy it.'));
  };
  return (
    <section className="unknown-names" aria-label="Router names no rule explains" data-testid="unknown-names">
      <h3>Router names no rule explains ({formatCount(names.length)})</h3>
      <p className="panel-sub muted">
        The router asked for these names, and no watchlist rule says what they are. Local names and reverse
        lookups are left out.
      </p>
      <table className="unknown-table">
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">queries</th>
            <th scope="col">first seen</th>
            <th scope="col">last seen</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((n) => (
            <tr key={n.name} data-testid="unknown-name">
              <td className="mono">{n.name}</td>
              <td className="num">{formatCount(n.count)}</td>
              <td>{time(n.firstTs)}</td>
              <td>{time(n.lastTs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {names.length > SHOWN && (
        <button type="button" className="link" onClick={() => setAll(!all)}>
          {all ? 'Show fewer' : `Show all ${formatCount(names.length)}`}
        </button>
      )}
      <p>
        <button
          type="button"
          className="button small"
          data-testid="suggest-rule"
          onClick={() => setExported(true)}
        >
          Suggest a rule
        </button>{' '}
        <span className="muted">
          Names and counts only: no addresses, device names or times. Copy it into an issue or an e-mail.
        </span>
      </p>
      {exported && (
        <div className="suggest-export">
          <textarea readOnly value={text} rows={8} aria-label="Suggested names" data-testid="suggest-text" />
          <button type="button" className="button small" onClick={copy}>
            Copy
          </button>{' '}
          <span className="muted">{copied}</span>
        </div>
      )}
    </section>
  );
});
