/**
 * How the engine answers each request of shared/contract.ts, for every transport: main's IPC handlers and
 * the headless service's RPC routes both call these, with arguments that already passed the channel's schema
 * (and the sender checks of that transport). Plain data in and out, so a MessagePort can carry them too.
 */
import type { EngineRequestChannel, RequestArgs, RequestResult } from '@shared/contract';
import type { EngineHandle } from '../engine/types';

/** The engine's answer to one request; may reject with a message for the user. */
export type EngineRequestHandler<K extends EngineRequestChannel> = (
  args: RequestArgs<K>,
) => RequestResult<K> | Promise<RequestResult<K>>;

export type EngineRequestHandlers = { readonly [K in EngineRequestChannel]: EngineRequestHandler<K> };

/** Each request the engine answers, mapped to `engine`'s method. */
export function engineRequestHandlers(engine: EngineHandle): EngineRequestHandlers {
  return {
    'capture:start': () => engine.startCapture(),
    'capture:stop': () => engine.stopCapture(),
    'capture:snapshot': (req) => engine.snapshot(req),
    'query:list': (req) => engine.queries(req),
    'status:get': () => engine.status(),
    'device:list': (req) => engine.clientPage(req),
    'evidence:key': () => engine.installKey(),
    'device:rename': ({ address, name }) => engine.renameDevice(address, name),
    'device:set-routers': ({ addresses }) => engine.setRouters(addresses),
    'watch:report': () => engine.watchReport(),
    'watch:rules': () => engine.watchRules(),
    'watch:update': ({ id, ...change }) => engine.updateWatchRule(id, change),
    'watch:save-rule': (input) => engine.saveWatchRule(input),
    'watch:remove-rule': async ({ id }) => {
      await engine.removeWatchRule(id);
      return null;
    },
    'watch:minutes': ({ rangeMinutes }) => engine.watchMinutes(rangeMinutes),
    'marker:add': ({ label, ts }) => engine.addMarker(label, ts),
    'marker:remove': async ({ id }) => {
      await engine.removeMarker(id);
      return null;
    },
    'watch-settings:get': () => engine.watchSettings(),
    'watch-settings:router-model': ({ model }) => engine.setRouterModel(model),
    'watch-settings:correlation-window': ({ seconds }) => engine.setCorrelationWindow(seconds),
    'config:get': () => engine.configView(),
    'config:save': (values) => engine.saveConfig(values),
    'theme:get': () => engine.theme(),
    'theme:set': ({ theme }) => engine.setTheme(theme),
    'alerts:get': () => engine.alertsView(),
    'alerts:save': (input) => engine.saveAlerts(input),
    'alerts:test': ({ target }) => engine.testAlert(target),
    'setup:state': ({ since, survey }) => engine.setupState(since, survey ?? true),
    'setup:self-test': () => engine.selfTest(),
    'setup:progress': (change) => engine.saveSetupProgress(change),
    'import:cancel': ({ id }) => engine.cancelImport(id),
  };
}

/** Runs `handlers`' answer to `channel`; `args` must have passed the channel's schema. */
export function answerRequest<K extends EngineRequestChannel>(
  handlers: EngineRequestHandlers,
  channel: K,
  args: RequestArgs<K>,
): RequestResult<K> | Promise<RequestResult<K>> {
  return (handlers[channel] as EngineRequestHandler<K>)(args);
}
