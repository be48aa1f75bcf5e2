import type { EngineHandle } from '../../engine/types';
import { handle } from './handle';

/** Registers capture:start, capture:stop and capture:snapshot against `engine`. */
export function setupCaptureHandlers(engine: EngineHandle): void {
  handle('capture:start', () => engine.startCapture());
  handle('capture:stop', () => engine.stopCapture());
  handle('capture:snapshot', (req) => engine.snapshot(req));
}
