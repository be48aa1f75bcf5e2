import type { EngineHandle } from '../../engine/types';
import { handle } from './handle';

/** Registers the watchlist, marker and router-model requests against `engine`. */
export function setupWatchHandlers(engine: EngineHandle): void {
  handle('watch:report', () => engine.watchReport());
  handle('watch:rules', () => engine.watchRules());
  handle('watch:update', ({ id, ...change }) => engine.updateWatchRule(id, change));
  handle('watch:save-rule', (input) => engine.saveWatchRule(input));
  handle('watch:remove-rule', async ({ id }) => {
    await engine.removeWatchRule(id);
    return null;
  });
  handle('watch:minutes', ({ rangeMinutes }) => engine.watchMinutes(rangeMinutes));
  handle('marker:add', ({ label, ts }) => engine.addMarker(label, ts));
  handle('marker:remove', async ({ id }) => {
    await engine.removeMarker(id);
    return null;
  });
  handle('settings:get', () => engine.watchSettings());
  handle('settings:router-model', ({ model }) => engine.setRouterModel(model));
  handle('settings:correlation-window', ({ seconds }) => engine.setCorrelationWindow(seconds));
}
