/**
 * The engine's events as the channels of shared/contract.ts, for every transport: main's Outbox per window
 * and the headless service's WebSocket per browser both subscribe through subscribeEngineEvents().
 */
import type { EngineEventChannel, Events } from '@shared/contract';
import type { EngineHandle } from '../engine/types';

/** Receives one event; each transport delivers it its own way. Must not throw. */
export type EventSink = <K extends EngineEventChannel>(channel: K, payload: Events[K]) => void;

type Sources = {
  readonly [K in EngineEventChannel]: (
    engine: EngineHandle,
    listener: (payload: Events[K]) => void,
  ) => () => void;
};

/** Where each engine event comes from: the EngineHandle subscription that feeds it. */
const SOURCES: Sources = {
  'query:batch': (engine, listener) => engine.subscribe(listener),
  'engine:status': (engine, listener) => engine.onStatus(listener),
  'engine:warning': (engine, listener) => engine.onWarning(listener),
  'device:update': (engine, listener) => engine.onDevice(listener),
  'watch:report': (engine, listener) => engine.onWatchReport(listener),
  'watch:alert': (engine, listener) => engine.onWatchAlert(listener),
  'export:progress': (engine, listener) => engine.onExportProgress(listener),
  'import:progress': (engine, listener) => engine.onImportProgress(listener),
  'theme:change': (engine, listener) => engine.onTheme(listener),
};

function subscribeOne<K extends EngineEventChannel>(
  engine: EngineHandle,
  channel: K,
  sink: EventSink,
): () => void {
  const source = SOURCES[channel] as Sources[K];
  return source(engine, (payload) => sink(channel, payload));
}

/** Passes every engine event to `sink` until the returned function is called. */
export function subscribeEngineEvents(engine: EngineHandle, sink: EventSink): () => void {
  const unsubscribe = (Object.keys(SOURCES) as EngineEventChannel[]).map((channel) =>
    subscribeOne(engine, channel, sink),
  );
  return () => {
    for (const off of unsubscribe) off();
  };
}
