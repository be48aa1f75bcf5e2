import type { EngineHandle } from '../../engine/types';
import { handle } from './handle';

/** Registers device:rename and device:set-routers against `engine`. */
export function setupDeviceHandlers(engine: EngineHandle): void {
  handle('device:rename', ({ address, name }) => engine.renameDevice(address, name));
  handle('device:set-routers', ({ addresses }) => engine.setRouters(addresses));
}
