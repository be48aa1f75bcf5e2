import type { EngineHandle } from '../../engine/types';
import { handle } from './handle';

/** Registers query:list and status:get against `engine`. */
export function setupQueryHandlers(engine: EngineHandle): void {
  handle('query:list', (req) => engine.queries(req));
  handle('status:get', () => engine.status());
}
