import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../engine/atomic-write';

/** A screen rectangle in device-independent pixels (same shape as Electron's Rectangle). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where the window opens: a position only when it was checked to be on a visible display. */
export interface WindowPlacement {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

export const DEFAULT_PLACEMENT: WindowPlacement = { width: 1280, height: 820, maximized: false };
export const MIN_WIDTH = 720;
export const MIN_HEIGHT = 480;

/** How much of the window's top strip must lie on one work area for the title bar to be grabbable. */
const VISIBLE_STRIP_HEIGHT = 32;
const VISIBLE_MIN_WIDTH = 120;

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** True when the window's title-bar strip overlaps one of `workAreas` enough to be grabbed. */
export function isOnVisibleDisplay(bounds: Rect, workAreas: readonly Rect[]): boolean {
  return workAreas.some((area) => {
    const overlapX = Math.min(bounds.x + bounds.width, area.x + area.width) - Math.max(bounds.x, area.x);
    const top = bounds.y;
    const topInside = top >= area.y && top + VISIBLE_STRIP_HEIGHT <= area.y + area.height;
    return topInside && overlapX >= VISIBLE_MIN_WIDTH;
  });
}

/**
 * Turns whatever was stored into a placement: the saved bounds when they are on a visible display,
 * otherwise only the saved size (fitted to `primary`, centred by the window manager). Never throws.
 */
export function restorePlacement(saved: unknown, workAreas: readonly Rect[], primary: Rect): WindowPlacement {
  if (typeof saved !== 'object' || saved === null) return DEFAULT_PLACEMENT;
  const s = saved as Record<string, unknown>;
  const { x, y, width, height } = s;
  if (!isFiniteNumber(width) || !isFiniteNumber(height)) return DEFAULT_PLACEMENT;
  const maximized = s['maximized'] === true;
  const w = Math.round(Math.max(MIN_WIDTH, width));
  const h = Math.round(Math.max(MIN_HEIGHT, height));
  if (
    isFiniteNumber(x) &&
    isFiniteNumber(y) &&
    isOnVisibleDisplay({ x, y, width: w, height: h }, workAreas)
  ) {
    return { x: Math.round(x), y: Math.round(y), width: w, height: h, maximized };
  }
  return {
    width: Math.max(MIN_WIDTH, Math.min(w, primary.width)),
    height: Math.max(MIN_HEIGHT, Math.min(h, primary.height)),
    maximized,
  };
}

/** Reads the placement stored in `file`; a missing or corrupt file gives the default. Never throws. */
export function loadPlacement(file: string, workAreas: readonly Rect[], primary: Rect): WindowPlacement {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return DEFAULT_PLACEMENT;
  }
  return restorePlacement(saved, workAreas, primary);
}

/**
 * Stores the window's normal (unmaximised) bounds and whether it was maximised. Synchronous because it
 * runs while the window closes; written to a temporary file first so a crash never leaves half a file.
 * Never throws: losing the window position is not worth an error dialog.
 */
export function savePlacement(file: string, bounds: Rect, maximized: boolean): void {
  const data = { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height, maximized };
  try {
    writeFileAtomicSync(file, `${JSON.stringify(data)}\n`);
  } catch (error) {
    console.warn(`[window] could not save the window position to ${file}:`, error);
  }
}
