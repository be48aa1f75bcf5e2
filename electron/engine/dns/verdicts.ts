import { WatchMatcher } from '@shared/watch/match';
import type { ActiveRule, BlockMode } from '@shared/watch/rules';
import type { Verdict } from './forwarder';

const NONE: Verdict = { rule: '', block: 'off' };

/**
 * The forwarder's classify for the rules in effect: the rule a name matches (the user's own rules take
 * precedence over built-in ones for the same names) and the block the user chose. The same function runs
 * on the DNS thread, built from the rules the main thread sends it. Never throws.
 */
export function classifierFor(active: readonly ActiveRule[]): (qname: string) => Verdict {
  const matcher = new WatchMatcher([...active.filter((r) => !r.builtIn), ...active.filter((r) => r.builtIn)]);
  const blocks = new Map<string, BlockMode>(
    active.filter((r) => r.enabled && r.block !== 'off').map((r) => [r.id, r.block]),
  );
  // One verdict object per rule, so the hot path allocates nothing.
  const verdicts = new Map<string, Verdict>();
  return (qname) => {
    const rule = matcher.match(qname);
    if (rule === '') return NONE;
    let v = verdicts.get(rule);
    if (!v) {
      v = { rule, block: blocks.get(rule) ?? 'off' };
      verdicts.set(rule, v);
    }
    return v;
  };
}
