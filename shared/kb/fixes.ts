/**
 * Fixes and the one-click marker: when the user applies a fix ("I switched it off now"), DNS Witness sets a
 * marker labelled after the fix, so the before/after rates around it show whether it worked. Pure.
 */
import { MARKER_LABEL_MAX } from '../watch/messages';
import type { KbFix } from './schema';

export const FIX_MARKER_PREFIX = 'Applied: ';

/** The marker label for a fix, e.g. "Applied: Turn off UniFi “Analytics & Improvements”". */
export function fixMarkerLabel(fix: Pick<KbFix, 'title'>): string {
  return `${FIX_MARKER_PREFIX}${fix.title}`.slice(0, MARKER_LABEL_MAX);
}

/** The latest marker set for `fix`, or undefined. Markers need only a label and a time. */
export function fixMarker<M extends { readonly label: string; readonly ts: number }>(
  fix: Pick<KbFix, 'title'>,
  markers: readonly M[],
): M | undefined {
  const label = fixMarkerLabel(fix);
  let found: M | undefined;
  for (const m of markers) if (m.label === label && (!found || m.ts > found.ts)) found = m;
  return found;
}
