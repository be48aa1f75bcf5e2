/**
 * The only module that knows the transport. Inside Electron the preload script exposes `window.dnsWitness`
 * (IPC); in a browser the headless service answers on the same origin over HTTP and a WebSocket.
 */
import type { DnsWitnessApi, ExportRequest, ExportResult } from '@shared/api';
import {
  EVENTS,
  isEventChannel,
  isTransportRequestChannel,
  REQUESTS,
  type EventChannel,
  type Events,
  type RequestArgs,
  type RequestChannel,
  type RequestResult,
  type TransportRequestChannel,
} from '@shared/contract';
import type { QueryFilter } from '@shared/events';
import { exportFileName } from '@shared/export-name';
import {
  BUNDLE_PATH,
  CSV_PATH,
  DNSTAP_PATH,
  fetchPastRefusals,
  IMPORT_PATH,
  PCAP_PATH,
  RPC_PATH,
  SCREENSHOT_PATH,
  STREAM_PATH,
  type StreamMessage,
} from '@shared/http-protocol';
import type { ImportProgress, ImportRequest, ImportStarted } from '@shared/import';
import { PRELOAD_GLOBAL, type ListenerMethod, type PreloadApi } from '@shared/preload-api';
import { authHeaders, probeAccess, storedToken, streamProtocols } from './access-token';
import { backoffDelay } from './backoff';
import { renderDashboardPng } from './screenshot';

type BrowserWindow = Window & typeof globalThis;

/** State of the live event stream. After every 'open' the caller must take a new snapshot. */
export type StreamState = 'connecting' | 'open' | 'reconnecting';

/** `DnsWitnessApi` plus the stream state, which only the WebSocket transport can lose. */
export interface Bridge extends DnsWitnessApi {
  /** Calls `listener` with the current state soon and on every change; returns the unsubscribe function. */
  onConnection(listener: (state: StreamState) => void): () => void;
}

/** The bridge for this page: IPC when the preload global exists, else HTTP/WebSocket to the page's origin. */
export function createBridge(win: BrowserWindow = window): Bridge {
  const preload = (win as unknown as Record<string, PreloadApi | undefined>)[PRELOAD_GLOBAL];
  return preload ? ipcBridge(preload) : httpBridge(win);
}

function ipcBridge(preload: PreloadApi): Bridge {
  // Each channel's preload method, named in shared/contract.ts.
  const methods = preload as unknown as Readonly<Record<string, (arg: unknown) => unknown>>;
  let readySent = false;
  return {
    transport: 'ipc',
    invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
      const method = methods[REQUESTS[channel].method] as (a: RequestArgs<K>) => Promise<RequestResult<K>>;
      return method(args);
    },
    on<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void {
      const subscribe = methods[EVENTS[channel].listener] as ListenerMethod<K>;
      const off = subscribe(listener);
      if (!readySent) {
        readySent = true;
        // Main holds events until the page is listening; subscriptions made in the same tick all count.
        queueMicrotask(() => preload.ready());
      }
      return off;
    },
    onConnection(listener) {
      // IPC cannot drop: the stream is open for the life of the page.
      queueMicrotask(() => listener('open'));
      return () => {};
    },
  };
}

/** The request body for an RPC call: `{ args }`, or `{}` when the channel takes none. */
export function rpcBody(args: unknown): string {
  return JSON.stringify(args === undefined ? {} : { args });
}

/** A download address (CSV_PATH, PCAP_PATH, BUNDLE_PATH) for `req`, relative to the origin. */
export function exportUrl(path: string, req: ExportRequest, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of ['client', 'name', 'from', 'to', 'captureId', 'rule', 'exportId'] as const) {
    const value = req[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  if (req.watched) params.set('watched', '1');
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

/** The CSV download address for `filter`, relative to the origin. */
export function csvUrl(filter: QueryFilter): string {
  return exportUrl(CSV_PATH, filter);
}

/** The upload address for an import with `req`'s choices, relative to the origin. */
export function importUrl(req: ImportRequest, fileName: string): string {
  const params = new URLSearchParams({ id: req.id, file: fileName, format: req.format });
  if (req.name !== '') params.set('name', req.name);
  for (const r of req.routers) params.append('router', r);
  if (req.keepPartial) params.set('keepPartial', '1');
  return `${IMPORT_PATH}?${params.toString()}`;
}

/** The stream address for a page at `location` (ws: for http:, wss: for https:). */
export function streamUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${STREAM_PATH}`;
}

/** Parses one stream frame; null for anything that is not a known event message. */
export function parseStreamMessage(data: unknown): StreamMessage | null {
  if (typeof data !== 'string') return null;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { channel, payload } = message as { channel?: unknown; payload?: unknown };
  if (!isEventChannel(channel)) return null;
  if (typeof payload !== 'object' || payload === null) return null;
  return message as StreamMessage;
}

/** Reads an RPC response: the result, or an Error carrying the service's message. */
export async function readRpcResponse(response: Response): Promise<unknown> {
  let body: { result?: unknown; error?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // A proxy error page or an empty body: fall through to the status line.
  }
  if (!response.ok) {
    const detail = typeof body.error === 'string' ? body.error : `${response.status} ${response.statusText}`;
    throw new Error(detail);
  }
  return body.result;
}

function httpBridge(win: BrowserWindow): Bridge {
  const pause = (ms: number) => new Promise<void>((resolve) => win.setTimeout(resolve, ms));
  const fetchPatiently = (url: string, init?: RequestInit) =>
    fetchPastRefusals(() => win.fetch(url, init), pause);
  const listeners = new Map<EventChannel, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(state: StreamState) => void>();
  let socket: WebSocket | null = null;
  let retryTimer: number | null = null;
  let attempt = 0;
  let everOpened = false;
  let state: StreamState = 'connecting';

  const setState = (next: StreamState): void => {
    state = next;
    for (const l of connectionListeners) l(next);
  };
  const wanted = (): boolean =>
    connectionListeners.size > 0 || [...listeners.values()].some((s) => s.size > 0);

  // The service stopped accepting this page's token (or wants one now): reload, and main.tsx asks for it.
  const tokenRefused = (): void => win.location.reload();

  const connect = (): void => {
    retryTimer = null;
    setState(everOpened ? 'reconnecting' : 'connecting');
    const ws = new win.WebSocket(streamUrl(win.location), streamProtocols(storedToken(win)));
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      attempt = 0;
      everOpened = true;
      setState('open');
    };
    ws.onmessage = (ev: MessageEvent) => {
      const message = parseStreamMessage(ev.data);
      if (!message) return;
      const { channel, payload } = message;
      for (const l of listeners.get(channel) ?? []) (l as (p: typeof payload) => void)(payload);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // A refused handshake shows no status to scripts: ask the API whether the token is the reason.
      if (!opened)
        void probeAccess(win).then((access) => {
          if (access !== 'ok') tokenRefused();
        });
      if (!wanted()) return;
      setState(everOpened ? 'reconnecting' : 'connecting');
      retryTimer = win.setTimeout(connect, backoffDelay(attempt++));
    };
  };
  const ensureConnected = (): void => {
    if (socket === null && retryTimer === null) connect();
  };
  const disconnectIfUnused = (): void => {
    if (wanted()) return;
    if (retryTimer !== null) win.clearTimeout(retryTimer);
    retryTimer = null;
    const ws = socket;
    socket = null;
    ws?.close();
  };

  const clickDownload = (href: string, name: string): void => {
    const a = win.document.createElement('a');
    a.href = href;
    a.download = name;
    a.rel = 'noopener';
    win.document.body.append(a);
    a.click();
    a.remove();
  };
  /**
   * Starts a download of `url` from the service, which names the file. With an access token it is fetched
   * with the token header (a link cannot carry it, and a token in the URL would end up in history).
   */
  const download = async (url: string): Promise<ExportResult> => {
    const token = storedToken(win);
    if (token === null) {
      clickDownload(url, '');
      return { saved: true, path: url };
    }
    const response = await fetchPatiently(url, { headers: authHeaders(token) });
    if (response.status === 401) tokenRefused();
    if (!response.ok) await readRpcResponse(response);
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? '';
    const blobUrl = win.URL.createObjectURL(await response.blob());
    clickDownload(blobUrl, name);
    win.setTimeout(() => win.URL.revokeObjectURL(blobUrl), 60_000);
    return { saved: true, path: url };
  };
  const downloadPng = async (): Promise<ExportResult> => {
    const png = await renderDashboardPng(win.document);
    const url = win.URL.createObjectURL(png);
    const name = exportFileName('png', {}, Date.now());
    clickDownload(url, name);
    // The download reads the blob after click(); give it time before letting it go.
    win.setTimeout(() => win.URL.revokeObjectURL(url), 60_000);
    return { saved: true, path: name };
  };
  const downloadBundle = async (req: ExportRequest): Promise<ExportResult> => {
    // The service builds the zip; the page adds what only it can render, the dashboard as shown.
    const png = await renderDashboardPng(win.document);
    const response = await fetchPatiently(SCREENSHOT_PATH, {
      method: 'POST',
      headers: { 'content-type': 'image/png', ...authHeaders(storedToken(win)) },
      body: png,
    });
    if (response.status === 401) tokenRefused();
    const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
    if (!response.ok || typeof body.token !== 'string')
      throw new Error(
        typeof body.error === 'string' ? body.error : `${response.status} ${response.statusText}`,
      );
    return download(exportUrl(BUNDLE_PATH, req, { screenshot: body.token }));
  };
  // Uploads under way, by import id, so import:cancel can stop one before the service has it whole.
  const uploads = new Map<string, XMLHttpRequest>();
  const emitLocal = (progress: ImportProgress): void => {
    for (const l of listeners.get('import:progress') ?? []) (l as (p: ImportProgress) => void)(progress);
  };
  /**
   * Sends `file` to the service as the body of one request (streamed to disk there), with its progress as
   * 'uploading' import:progress events of this page; XMLHttpRequest because fetch() reports no upload progress.
   */
  const upload = (req: ImportRequest, file: File): Promise<ImportStarted> =>
    new Promise((resolve) => {
      const started = Date.now();
      const base: ImportProgress = {
        id: req.id,
        state: 'uploading',
        file: file.name,
        bytes: 0,
        totalBytes: file.size,
        queries: 0,
        skipped: 0,
        rate: 0,
        message: '',
        captureId: '',
        partial: false,
      };
      const xhr = new win.XMLHttpRequest();
      uploads.set(req.id, xhr);
      const end = (progress: Partial<ImportProgress>): void => {
        uploads.delete(req.id);
        if (progress.state !== undefined) emitLocal({ ...base, ...progress });
        resolve({ id: req.id });
      };
      xhr.upload.onprogress = (e) => {
        const s = (Date.now() - started) / 1000;
        emitLocal({ ...base, bytes: e.loaded, rate: s > 0 ? Math.round(e.loaded / s) : 0 });
      };
      xhr.onload = () => {
        if (xhr.status === 401) tokenRefused();
        if (xhr.status === 202) return end({});
        let error = `${xhr.status} ${xhr.statusText}`;
        try {
          const body = JSON.parse(xhr.responseText) as { error?: unknown };
          if (typeof body.error === 'string') error = body.error;
        } catch {
          // Not JSON: the status line says it.
        }
        end({ state: 'failed', message: error });
      };
      xhr.onabort = () => end({ state: 'cancelled', message: 'cancelled; nothing was imported' });
      xhr.onerror = () => end({ state: 'failed', message: 'the upload failed: the service did not answer' });
      xhr.open('POST', importUrl(req, file.name));
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      for (const [k, v] of Object.entries(authHeaders(storedToken(win)))) xhr.setRequestHeader(k, v);
      emitLocal(base);
      xhr.send(file);
    });
  /** The browser's file picker, opened from the click that asked for it; null when nothing is chosen. */
  const chooseAndUpload = (req: ImportRequest): Promise<ImportStarted> =>
    new Promise((resolve) => {
      const input = win.document.createElement('input');
      input.type = 'file';
      input.hidden = true;
      input.addEventListener('cancel', () => {
        input.remove();
        resolve(null);
      });
      input.addEventListener('change', () => {
        const file = input.files?.[0];
        input.remove();
        resolve(file ? upload(req, file) : null);
      });
      win.document.body.append(input);
      input.click();
    });
  // The requests a browser answers itself: downloads, the PNG rendered in the page, and uploads.
  const exports: { [K in TransportRequestChannel]: (args: RequestArgs<K>) => Promise<RequestResult<K>> } = {
    'export:csv': (req) => download(exportUrl(CSV_PATH, req)),
    'export:pcap': (req) => download(exportUrl(PCAP_PATH, req)),
    'export:dnstap': (req) => download(exportUrl(DNSTAP_PATH, req)),
    'export:png': () => downloadPng(),
    'export:bundle': (req) => downloadBundle(req),
    'import:file': (req) => chooseAndUpload(req),
  };

  return {
    transport: 'websocket',
    async invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
      if (isTransportRequestChannel(channel)) {
        const exporter = exports[channel] as (a: unknown) => Promise<unknown>;
        return (await exporter(args)) as RequestResult<K>;
      }
      if (channel === 'import:cancel') {
        const xhr = uploads.get((args as RequestArgs<'import:cancel'>).id);
        if (xhr) {
          xhr.abort();
          return true as RequestResult<K>;
        }
      }
      const response = await fetchPatiently(`${RPC_PATH}${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders(storedToken(win)) },
        body: rpcBody(args),
      });
      if (response.status === 401) tokenRefused();
      return (await readRpcResponse(response)) as RequestResult<K>;
    },
    on<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener as (payload: never) => void);
      ensureConnected();
      return () => {
        set.delete(listener as (payload: never) => void);
        disconnectIfUnused();
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      ensureConnected();
      const current = state;
      queueMicrotask(() => {
        if (connectionListeners.has(listener) && state === current) listener(current);
      });
      return () => {
        connectionListeners.delete(listener);
        disconnectIfUnused();
      };
    },
  };
}
