import type { EngineHandle } from '../../engine/types';
import { handle } from './handle';

/** Registers the setup assistant's and the Settings panel's requests against `engine`. */
export function setupSetupHandlers(engine: EngineHandle): void {
  handle('config:get', () => engine.configView());
  handle('config:save', (values) => engine.saveConfig(values));
  handle('setup:state', ({ since, survey }) => engine.setupState(since, survey ?? true));
  handle('setup:self-test', () => engine.selfTest());
  handle('setup:progress', (change) => engine.saveSetupProgress(change));
}
