import { useState } from 'react';
import { TP_LINK_HOMESHIELD_FIXES } from '@shared/watch/router-models';
import { modelFix, modelFixText, OTHER_ROUTER, userError } from '../lib/watch-text';

interface Props {
  /** The saved model, "" for none. */
  readonly model: string;
  readonly onModel: (model: string) => Promise<void>;
}

const archer = TP_LINK_HOMESHIELD_FIXES.filter((m) => m.model.startsWith('Archer'));
const deco = TP_LINK_HOMESHIELD_FIXES.filter((m) => !m.model.startsWith('Archer'));

/** Which router the user owns, and whether TP-Link announced fixed firmware for it (and when). */
export function RouterModelPicker({ model, onModel }: Props) {
  const [error, setError] = useState('');
  const fix = modelFix(model);
  return (
    <div className="router-model">
      <p className="panel-sub muted">
        In March 2022 TP-Link confirmed &ldquo;errors in the DNS request logic&rdquo; that made HomeShield
        routers contact Avira SafeThings far too often, also with HomeShield switched off, and announced fixed
        firmware per model. Pick yours to see what applies.
      </p>
      <label className="field">
        <span>Router model</span>
        <select
          value={model}
          aria-label="Router model"
          onChange={(e) => {
            setError('');
            onModel(e.target.value).catch((err: unknown) => setError(userError(err)));
          }}
        >
          <option value="">Not chosen</option>
          <optgroup label="TP-Link Archer">
            {archer.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model}
              </option>
            ))}
          </optgroup>
          <optgroup label="TP-Link Deco">
            {deco.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model}
              </option>
            ))}
          </optgroup>
          <option value={OTHER_ROUTER}>Another router (not listed)</option>
          {model !== '' && model !== OTHER_ROUTER && !fix && <option value={model}>{model}</option>}
        </select>
      </label>
      {model !== '' && (
        <p className={`model-fix${fix ? ' known' : ''}`} data-testid="model-fix" role="status">
          {fix ? (
            <>
              <strong>TP-Link {fix.model}:</strong> {modelFixText(model)}
            </>
          ) : (
            modelFixText(model)
          )}
        </p>
      )}
      {fix && (
        <p className="muted">
          After updating, add a marker (&ldquo;firmware updated&rdquo;) so the watchlist shows the rate before
          and after.
        </p>
      )}
      {error !== '' && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
