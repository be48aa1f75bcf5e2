import { useState, type FormEvent } from 'react';
import { parseToken, type TokenGate } from '../lib/access-token';

interface Props {
  /** True when this tab had a token and the service refused it. */
  readonly refused: boolean;
  /** Why the service wants a token and the command that started it. */
  readonly gate: TokenGate;
  /** Called with a well-formed token; the caller stores it and reloads. */
  readonly onToken: (token: string) => void;
}

/** Shown instead of the dashboard when the service wants its access token and this tab has no valid one. */
export function TokenRequired({ refused, gate, onToken }: Props) {
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = parseToken(text);
    if (token === null) setInvalid(true);
    else onToken(token);
  };
  return (
    <div className="app">
      <section className="empty token-gate" aria-labelledby="token-title" data-testid="token-required">
        <h1 id="token-title">Access token required</h1>
        <p className="lead">
          {gate.reason === 'network' ? (
            <>This DNS Witness listens on the network, so its DNS log is open only with its access token.</>
          ) : (
            <>
              This DNS Witness was started with <code>--token</code>, so its DNS log is open only with its
              access token.
            </>
          )}{' '}
          Open the full dashboard address that <code data-testid="token-command">{gate.command}</code> printed
          when it started (it ends with <span className="mono">#token=…</span>), or paste that address or the
          token from the data folder&rsquo;s <span className="mono">ui-token</span> file here.
        </p>
        {refused && (
          <p className="token-error" role="alert">
            The service did not accept the token this tab had. Enter the current one.
          </p>
        )}
        <form className="token-form" onSubmit={submit}>
          <label className="field grow">
            <span>Token or dashboard address</span>
            <input
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setInvalid(false);
              }}
              aria-invalid={invalid}
              data-testid="token-input"
            />
          </label>
          <button type="submit" className="button primary">
            Open the dashboard
          </button>
        </form>
        {invalid && (
          <p className="token-error" role="alert">
            That is not a token: it is 32 or more letters, digits, &ldquo;-&rdquo; or &ldquo;_&rdquo;.
          </p>
        )}
      </section>
    </div>
  );
}
