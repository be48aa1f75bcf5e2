/**
 * The headless service's transport for `DnsWitnessApi`:
 * - a request is `POST {RPC_PATH}{channel}` with a JSON body `{ "args": ... }` (omit args when undefined);
 *   the response is 200 `{ "result": ... }` or 4xx/5xx `{ "error": "message" }`.
 * - events arrive on the WebSocket at STREAM_PATH as JSON text frames `StreamMessage`.
 * The exports are not RPCs: the browser downloads `GET /api/export.csv?{filter params}` (likewise PCAP_PATH
 * and BUNDLE_PATH; `exportId=` tags the export:progress events). A bundle with the dashboard's PNG is made
 * by first posting the PNG (image/png body) to SCREENSHOT_PATH, which answers `{ "token": "…" }`, then
 * downloading BUNDLE_PATH with `screenshot={token}`. `export:png` is rendered in the page itself.
 */
import type { EngineRequestChannel, EventChannel, Events } from './contract';

export const RPC_PATH = '/api/rpc/';
export const STREAM_PATH = '/api/stream';
export const CSV_PATH = '/api/export.csv';
export const PCAP_PATH = '/api/export.pcap';
export const DNSTAP_PATH = '/api/export.dnstap';
export const BUNDLE_PATH = '/api/evidence.zip';
export const SCREENSHOT_PATH = '/api/evidence/screenshot';
/**
 * A file to import: `POST /api/import?id=&file=&format=&name=&router=&keepPartial=1` with the file's bytes as
 * the body (application/octet-stream), streamed to the data folder; 202 `{ "result": { "id" } }` once the
 * import runs (progress in the import:progress events), 413 beyond the service's upload cap.
 */
export const IMPORT_PATH = '/api/import';
/** Prometheus metrics in the text exposition format; the API's access rules apply. */
export const METRICS_PATH = '/metrics';

/**
 * RPC names from before a rename that still answer, since the README offers RPC to scripts: the watch
 * settings' channels were `settings:*` until they were named after what they carry.
 */
export const RPC_ALIASES: Readonly<Record<string, EngineRequestChannel>> = {
  'settings:get': 'watch-settings:get',
  'settings:router-model': 'watch-settings:router-model',
  'settings:correlation-window': 'watch-settings:correlation-window',
};

export type StreamMessage = {
  [K in EventChannel]: { readonly channel: K; readonly payload: Events[K] };
}[EventChannel];

/**
 * Access token (required when the service listens beyond loopback): the page receives it in its address
 * fragment (`#token=…`, never sent to a server), sends it as `Authorization: Bearer …` over HTTP and, since
 * browsers cannot set WebSocket headers, as the subprotocol `${TOKEN_PROTOCOL_PREFIX}…` next to
 * STREAM_PROTOCOL, which is the one the server selects. Without it the API answers 401 `{ error, token_required: true }`.
 */
export const TOKEN_FRAGMENT_KEY = 'token';

/**
 * The 401 answer's body, so the token screen can say why a token is needed and which command printed the
 * address: `reason` 'network' when the dashboard listens beyond loopback, 'flag' when --token asked for it.
 */
export interface TokenRequiredBody {
  readonly error: string;
  readonly token_required: true;
  readonly reason: 'network' | 'flag';
  /** How the service was started, as the user would type it ("npm run serve", "dns-witness serve"). */
  readonly command: string;
}
export const STREAM_PROTOCOL = 'dns-witness';
export const TOKEN_PROTOCOL_PREFIX = 'dns-witness.token.';

/** Longest a request waits out the service's refusals before the caller sees one. */
const REFUSAL_WAIT_MS = 30_000;
/** Longest one wait between tries, whatever Retry-After says. */
const REFUSAL_PAUSE_MAX_MS = 5_000;

/**
 * fetch() that waits out the service's load shedding. The service refuses (429, or 503 while the API has
 * used its share of the event loop DNS needs) with a Retry-After, before it does any of the request's work,
 * so sending the same request again is safe. Gives up, returning the last refusal, once the waits would
 * pass `waitMs` in all. Any other answer is returned at once.
 */
export async function fetchPastRefusals(
  send: () => Promise<Response>,
  pause: (ms: number) => Promise<void>,
  waitMs = REFUSAL_WAIT_MS,
): Promise<Response> {
  let waited = 0;
  for (;;) {
    const response = await send();
    const retryAfterS = Number(response.headers.get('retry-after'));
    if ((response.status !== 429 && response.status !== 503) || !(retryAfterS > 0)) return response;
    const ms = Math.min(retryAfterS * 1000, REFUSAL_PAUSE_MAX_MS);
    if (waited + ms > waitMs) return response;
    await response.body?.cancel();
    await pause(ms);
    waited += ms;
  }
}
