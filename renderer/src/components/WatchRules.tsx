import { memo, useMemo, useState, type FormEvent } from 'react';
import { fixMarker, fixMarkerLabel } from '@shared/kb/fixes';
import { fixesFor } from '@shared/kb/index';
import type { KbFix } from '@shared/kb/schema';
import type { Marker } from '@shared/watch/report';
import {
  patternsProblem,
  RULE_EXPLANATION_MAX,
  RULE_INTEGRATION_MAX,
  RULE_VENDOR_MAX,
  splitPatterns,
} from '@shared/watch/messages';
import { CATEGORY_ORDER, type ActiveRule, type BlockMode, type RuleCategory } from '@shared/watch/rules';
import type { Dashboard } from '../lib/dashboard';
import {
  BLOCK_LABELS,
  BLOCK_WARNING,
  CATEGORY_LABELS,
  CONFIDENCE_LABELS,
  serviceName,
  userError,
} from '../lib/watch-text';

interface Props {
  readonly dashboard: Dashboard;
  readonly rules: readonly ActiveRule[];
  /** The user's markers: a fix applied with one click shows when it was set. */
  readonly markers?: readonly Marker[];
}

const NO_MARKERS: readonly Marker[] = [];

const isLink = (s: string) => /^https?:\/\//i.test(s);

/**
 * Every rule, grouped by category: switch it on or off, block it (with the warning that routers may retry
 * harder), read its sources; add, edit and remove your own.
 */
export const WatchRules = memo(function WatchRules({ dashboard, rules, markers = NO_MARKERS }: Props) {
  const [editing, setEditing] = useState<ActiveRule | 'new' | null>(null);
  const [error, setError] = useState('');
  const groups = useMemo(
    () =>
      CATEGORY_ORDER.map((c) => ({ category: c, rules: rules.filter((r) => r.category === c) })).filter(
        (g) => g.rules.length > 0,
      ),
    [rules],
  );
  const act = (p: Promise<void>): void => {
    setError('');
    p.catch((err: unknown) => setError(userError(err)));
  };
  return (
    <div className="rules">
      <div className="rules-intro">
        <p className="panel-sub muted">
          {rules.filter((r) => r.enabled).length} of {rules.length} rules on. Confidence says how well each is
          supported; unverified guesses start switched off. Blocking is off by default.
        </p>
        {editing === null && (
          <button type="button" className="button small" onClick={() => setEditing('new')}>
            Add your own rule
          </button>
        )}
      </div>
      {editing !== null && (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSave={async (input) => {
            await dashboard.saveRule(input);
            setEditing(null);
          }}
        />
      )}
      {error !== '' && (
        <p className="panel-note bad" role="alert">
          {error}
        </p>
      )}
      {groups.map((g) => (
        <section key={g.category} className="rule-group" aria-label={CATEGORY_LABELS[g.category]}>
          <h3>{CATEGORY_LABELS[g.category]}</h3>
          <ul className="rule-list">
            {g.rules.map((r) => (
              <RuleRow
                key={r.id}
                rule={r}
                onEnabled={(enabled) => act(dashboard.updateRule(r.id, { enabled }))}
                onBlock={(block) => act(dashboard.updateRule(r.id, { block }))}
                onEdit={() => setEditing(r)}
                onRemove={() => act(dashboard.removeRule(r.id))}
                markers={markers}
                onApplied={(fix) => act(dashboard.addMarker(fixMarkerLabel(fix)))}
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
});

function RuleRow({
  rule: r,
  onEnabled,
  onBlock,
  onEdit,
  onRemove,
  markers,
  onApplied,
}: {
  rule: ActiveRule;
  onEnabled: (enabled: boolean) => void;
  onBlock: (block: BlockMode) => void;
  onEdit: () => void;
  onRemove: () => void;
  markers: readonly Marker[];
  onApplied: (fix: KbFix) => void;
}) {
  const name = serviceName(r);
  const fixes = fixesFor(r);
  return (
    <li
      className={`rule-row${r.enabled ? '' : ' off'}${r.block !== 'off' ? ' blocking' : ''}`}
      data-testid="rule-row"
      data-rule={r.id}
    >
      <input
        type="checkbox"
        className="rule-switch"
        checked={r.enabled}
        aria-label={`Watch ${name}`}
        title={r.enabled ? 'Switch this rule off' : 'Switch this rule on'}
        onChange={(e) => onEnabled(e.target.checked)}
      />
      <div className="rule-main">
        <div className="rule-title">
          <strong>{name}</strong>
          <span className="muted ellipsis" title={`${r.vendor}: ${r.integration}`}>
            {r.vendor}: {r.integration}
          </span>
          <span className={`tag conf conf-${r.confidence}`} title={r.confidenceNote}>
            {CONFIDENCE_LABELS[r.confidence]}
          </span>
        </div>
        <div className="rule-patterns mono">{r.patterns.join('   ')}</div>
        {r.explanation !== '' && <div className="rule-expl muted">{r.explanation}</div>}
        {(r.sources.length > 0 || r.evidence !== '') && (
          <details className="rule-sources">
            <summary>Sources ({r.sources.length})</summary>
            <ul>
              {r.sources.map((s) => (
                <li key={s}>
                  {isLink(s) ? (
                    <a href={s} target="_blank" rel="noopener noreferrer">
                      {s.replace(/^https?:\/\/(www\.)?/, '')}
                    </a>
                  ) : (
                    <span className="muted">{s}</span>
                  )}
                </li>
              ))}
            </ul>
            {r.evidence !== '' && <p className="rule-evidence muted">{r.evidence}</p>}
          </details>
        )}
        {fixes.length > 0 && (
          <details className="rule-sources rule-fixes" data-testid="rule-fixes">
            <summary>What to do ({fixes.length})</summary>
            {fixes.map((f) => (
              <FixSteps key={f.id} fix={f} marker={fixMarker(f, markers)} onApplied={() => onApplied(f)} />
            ))}
          </details>
        )}
        {r.block !== 'off' && (
          <p className="block-warning" role="note">
            {BLOCK_WARNING}
          </p>
        )}
      </div>
      <div className="rule-actions">
        <select
          value={r.block}
          aria-label={`Blocking for ${name}`}
          disabled={!r.enabled}
          title={r.enabled ? BLOCK_WARNING : 'Switch the rule on to block it'}
          onChange={(e) => onBlock(e.target.value as BlockMode)}
        >
          {(Object.keys(BLOCK_LABELS) as BlockMode[]).map((b) => (
            <option key={b} value={b}>
              {BLOCK_LABELS[b]}
            </option>
          ))}
        </select>
        {!r.builtIn && (
          <span className="rule-own">
            <button type="button" className="link" onClick={onEdit}>
              Edit
            </button>
            <button type="button" className="link danger" onClick={onRemove}>
              Remove
            </button>
          </span>
        )}
      </div>
    </li>
  );
}

/**
 * One fix: where, the steps in the router's own menus, what to expect, its sources, and the one-click marker
 * ("I did this now") that lets the next report compare the rates before and after.
 */
function FixSteps({
  fix,
  marker,
  onApplied,
}: {
  fix: KbFix;
  marker: Marker | undefined;
  onApplied: () => void;
}) {
  return (
    <div className="rule-fix" data-testid="rule-fix" data-fix={fix.id}>
      <p>
        <strong>{fix.title}</strong> <span className="muted">({fix.where})</span>
      </p>
      <ol>
        {fix.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <p className="muted">{fix.expect}</p>
      <ul>
        {fix.sources.map((s) => {
          const href = s.url ?? (s.repo ? `https://github.com/${s.repo}/blob/HEAD/${s.path ?? ''}` : '');
          return (
            <li key={`${href}${s.note}`}>
              {href !== '' ? (
                <a href={href} target="_blank" rel="noopener noreferrer" title={s.note}>
                  {href.replace(/^https?:\/\/(www\.)?/, '')}
                </a>
              ) : (
                <span className="muted">{s.note}</span>
              )}
            </li>
          );
        })}
      </ul>
      {marker ? (
        <p className="muted" data-testid="fix-applied">
          Marked as applied at {new Date(marker.ts).toLocaleString()}: the Markers tab and the report compare
          the rates before and after.
        </p>
      ) : (
        <button type="button" className="button small" data-testid="fix-apply" onClick={onApplied}>
          I did this now: set a marker
        </button>
      )}
    </div>
  );
}

interface RuleFormProps {
  /** The rule being edited, or null for a new one. */
  readonly rule: ActiveRule | null;
  readonly onSave: (input: {
    id?: string;
    vendor: string;
    integration: string;
    patterns: string[];
    category: RuleCategory;
    explanation: string;
  }) => Promise<void>;
  readonly onCancel: () => void;
}

/** Your own rule: patterns checked as you type, with the engine's words. */
function RuleForm({ rule, onSave, onCancel }: RuleFormProps) {
  const [vendor, setVendor] = useState(rule?.vendor ?? '');
  const [integration, setIntegration] = useState(rule?.integration ?? '');
  const [patterns, setPatterns] = useState(rule?.patterns.join('\n') ?? '');
  const [category, setCategory] = useState<RuleCategory>(rule?.category ?? 'vendor-cloud');
  const [explanation, setExplanation] = useState(rule?.explanation ?? '');
  const [touched, setTouched] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const list = splitPatterns(patterns);
  const problem = patternsProblem(list);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setTouched(true);
    if (problem !== '' || saving) return;
    setSaving(true);
    setError('');
    onSave({
      ...(rule ? { id: rule.id } : {}),
      vendor,
      integration,
      patterns: list,
      category,
      explanation,
    }).catch((err: unknown) => {
      setSaving(false);
      setError(userError(err));
    });
  };
  return (
    <form className="rule-form" onSubmit={submit} aria-label={rule ? 'Edit your rule' : 'Add your own rule'}>
      <div className="rule-form-grid">
        <label className="field">
          <span>Vendor</span>
          <input
            value={vendor}
            maxLength={RULE_VENDOR_MAX}
            placeholder="e.g. Acme"
            onChange={(e) => setVendor(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Service</span>
          <input
            value={integration}
            maxLength={RULE_INTEGRATION_MAX}
            placeholder="e.g. Acme router cloud"
            onChange={(e) => setIntegration(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Category</span>
          <select value={category} onChange={(e) => setCategory(e.target.value as RuleCategory)}>
            {CATEGORY_ORDER.map((c) => (
              <option key={c} value={c}>
                {CATEGORY_LABELS[c]}
              </option>
            ))}
          </select>
        </label>
        <label className="field patterns-field">
          <span>Patterns, one per line</span>
          <textarea
            value={patterns}
            rows={3}
            spellCheck={false}
            placeholder={'telemetry.acme.example\n=api.acme.example\n*.cdn.acme.example'}
            aria-invalid={touched && problem !== ''}
            aria-label="Patterns"
            onChange={(e) => setPatterns(e.target.value)}
            onBlur={() => setTouched(true)}
          />
        </label>
        <label className="field explanation-field">
          <span>Why you watch it</span>
          <input
            value={explanation}
            maxLength={RULE_EXPLANATION_MAX}
            placeholder="One line, e.g. seen in my router's logs"
            onChange={(e) => setExplanation(e.target.value)}
          />
        </label>
      </div>
      <p className="muted pattern-help">
        <code>example.com</code> matches the name and its subdomains, <code>=host.example.com</code> only that
        name, <code>*.example.com</code> only subdomains; <code>*</code> matches within one label.
      </p>
      {touched && problem !== '' && (
        <p className="form-error" role="alert" data-testid="pattern-error">
          {userError(problem)}
        </p>
      )}
      {error !== '' && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="rule-form-actions">
        <button type="submit" className="button small primary" disabled={saving}>
          {rule ? 'Save rule' : 'Add rule'}
        </button>
        <button type="button" className="button small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
