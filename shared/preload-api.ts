/**
 * What electron/preload exposes on `window.dnsWitness`, derived from the table in contract.ts: one method per
 * request (named by its `method`), one per event (its `listener`, returning the unsubscribe function), and
 * ready(); nothing generic. renderer/src/lib/bridge.ts adapts it to `DnsWitnessApi`.
 */
import {
  EVENT_CHANNELS,
  EVENTS,
  REQUEST_CHANNELS,
  REQUESTS,
  type EventChannel,
  type EventTable,
  type Events,
  type RequestArgs,
  type RequestChannel,
  type RequestResult,
  type RequestTable,
} from './contract';

/** The preload method for request `K`: no parameter when it takes no argument. */
export type RequestMethod<K extends RequestChannel> = [RequestArgs<K>] extends [undefined]
  ? () => Promise<RequestResult<K>>
  : (args: RequestArgs<K>) => Promise<RequestResult<K>>;

/** The preload method for event `K`: subscribes `listener`, returns the unsubscribe function. */
export type ListenerMethod<K extends EventChannel> = (listener: (payload: Events[K]) => void) => () => void;

export type PreloadApi = {
  readonly [K in RequestChannel as RequestTable[K]['method']]: RequestMethod<K>;
} & {
  readonly [K in EventChannel as EventTable[K]['listener']]: ListenerMethod<K>;
} & {
  /** Tells main the renderer is subscribed, so main starts sending events. */
  readonly ready: () => void;
};

/** Every method name of PreloadApi. */
export const PRELOAD_METHODS: readonly (keyof PreloadApi)[] = [
  ...REQUEST_CHANNELS.map((c) => REQUESTS[c].method),
  ...EVENT_CHANNELS.map((c) => EVENTS[c].listener),
  'ready',
];

/** The global name the preload script exposes. */
export const PRELOAD_GLOBAL = 'dnsWitness';
