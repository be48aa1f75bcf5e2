import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientListRequest, QueryListRequest } from '@shared/api';
import { isEngineRequestChannel, parseRequestArgs, type RequestArgs } from '@shared/contract';
import { contentSecurityPolicy } from '@shared/csp';
import { deviceFields, deviceName } from '@shared/devices';
import { healthOf, type StreamLag } from '@shared/health';
import type { ClientSummary, DnstapInStatus, QueryEvent } from '@shared/events';
import {
  IMPORT_PATH,
  METRICS_PATH,
  RPC_ALIASES,
  RPC_PATH,
  STREAM_PATH,
  TOKEN_FRAGMENT_KEY,
  type StreamMessage,
  type TokenRequiredBody,
} from '@shared/http-protocol';
import { clientListSchema, correlationWindowSchema, queryListSchema } from '@shared/schemas';
import { isoLocal } from '@shared/time';
import type { Engine } from '../engine/engine';
import { subscribeEngineEvents } from '../engine-api/events';
import { answerRequest, engineRequestHandlers, type EngineRequestHandlers } from '../engine-api/requests';
import { listenerNames } from '../engine/export/summary';
import { pickClients } from '../engine/capture/aggregates';
import { resolveStaticPath, staticContentType } from '../engine/static-path';
import { EXPOSITION_CONTENT_TYPE } from '../engine/metrics/exposition';
import { lookupShapeSummary, watchlistSummary } from '../engine/watch';
import {
  chooseStreamProtocol,
  hostAllowed,
  isLoopbackAddress,
  isWildcardAddress,
  localAddressCache,
  presentedToken,
  sameOrigin,
  tokenMatches,
} from './auth';
import { DEFAULT_MAX_UPLOAD_MB } from './args';
import { ExportRoutes } from './export-routes';
import { handleImportUpload } from './import-route';
import { FairConnections, type ConnectionSlot } from '../engine/fair-connections';
import { LIMITS, RateLimiter, StreamSlots, WorkBudget } from './limits';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Folder of the built renderer (index.html and assets). */
  readonly rendererDir: string;
  /** Access token every /api request and stream must carry; null (the loopback default) for none. */
  readonly token?: string | null;
  /** How the service was started, for the token screen (startCommand()); "dns-witness serve" by default. */
  readonly command?: string;
  /** The largest upload to import, in bytes (413 beyond); DEFAULT_MAX_UPLOAD_MB by default. */
  readonly maxUploadBytes?: number;
}

const MAX_BODY = LIMITS.maxBodyBytes;

/** Clients /api/summary lists at most (routers besides); GET /api/clients pages through them all. */
const SUMMARY_CLIENTS = 100;

/** A WebSocket client that has this much unsent data gets batches dropped (counted) instead of queued. */
const MAX_WS_BUFFER = 4 * 1024 * 1024;

/** The 401 body: why a token is needed and the command that printed the dashboard address. */
function tokenRequired(host: string, command: string): TokenRequiredBody {
  return {
    error: `access token required: open the dashboard address printed by ${command} (it ends with #${TOKEN_FRAGMENT_KEY}=…), or send "Authorization: Bearer <token>" (the token is in the data folder's ui-token file)`,
    token_required: true,
    reason: isLoopbackAddress(host) ? 'flag' : 'network',
    command,
  };
}

/** The dashboard's CSP, the same the desktop app sends (shared/csp.ts). */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Query parameters → a validated query request; throws a readable Error for bad values. */
export function parseQueryParams(params: URLSearchParams): QueryListRequest {
  const raw: Record<string, unknown> = {};
  for (const key of ['client', 'name', 'captureId', 'rule'] as const) {
    const v = params.get(key);
    if (v !== null && v !== '') raw[key] = v;
  }
  const watched = params.get('watched');
  if (watched !== null && watched !== '') {
    if (!/^(1|0|true|false)$/.test(watched)) throw new Error(`watched: not 1, 0, true or false: ${watched}`);
    raw.watched = watched === '1' || watched === 'true';
  }
  for (const key of ['from', 'to'] as const) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(n)) throw new Error(`${key}: not a time (epoch ms or ISO 8601): ${v}`);
    raw[key] = n;
  }
  for (const key of ['offset', 'limit'] as const) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    if (!/^\d+$/.test(v)) throw new Error(`${key}: not a whole number: ${v}`);
    raw[key] = Number(v);
  }
  const r = queryListSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${issue?.path.join('.') ?? 'query'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** `/api/clients` parameters (offset, limit) → a validated request; throws a readable Error. */
function parseClientParams(params: URLSearchParams): ClientListRequest {
  const raw: Record<string, number> = {};
  for (const key of ['offset', 'limit'] as const) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    if (!/^\d+$/.test(v)) throw new Error(`${key}: not a whole number: ${v}`);
    raw[key] = Number(v);
  }
  const r = clientListSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${issue?.path.join('.') ?? 'clients'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/**
 * Answers a refusal (429/503) after a short delay, so a client that retries at once waits instead of
 * spinning the event loop the forwarder needs.
 */
function refuseLater(res: http.ServerResponse, status: number, error: string, retryAfterS: number): void {
  setTimeout(() => {
    if (!res.destroyed && !res.headersSent)
      sendJson(res, status, { error }, { 'retry-after': String(retryAfterS) });
  }, LIMITS.refusalDelayMs);
}

/** Refuses a WebSocket handshake with a status line and a JSON body, then closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/** The dnstap inputs' counters for /api/health: what monitors graph and alert on. */
function dnstapInHealth(d: DnstapInStatus) {
  return {
    listening: d.listeners.filter((l) => l.state === 'listening').map((l) => l.target),
    peers: d.peers,
    sources: d.sources,
    messages: d.messages,
    records: d.records,
    dropped: d.dropped,
    peers_dropped: d.peersDropped,
  };
}

/** Snake-case event for the REST API, like the CSV columns. */
function apiEvent(e: QueryEvent) {
  return {
    seq: e.seq,
    timestamp: e.time,
    client_ip: e.client,
    client_port: e.clientPort,
    transport: e.transport,
    qname: e.qname,
    qtype: e.qtype,
    rcode: e.rcode,
    answers: e.answers,
    latency_ms: e.latencyMs,
    upstream: e.upstream,
    size: e.size,
    error: e.error,
    watch_rule: e.watchRule,
    capture_id: e.captureId,
    // "" for the queries DNS Witness answered; the resolver and input for those observed through dnstap.
    source: e.source ?? '',
  };
}

/**
 * The headless HTTP + WebSocket service: the dashboard at /, the REST API under /api, RPC for the dashboard,
 * and the live stream. Only requests addressed to the bound host (or localhost) are served, which stops DNS
 * rebinding; the API and the stream refuse other origins, need the access token when one is set, and are
 * rate-limited per remote address (see limits.ts).
 */
export class HeadlessServer {
  private readonly engine: Engine;
  private readonly opts: ServerOptions;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly answers: EngineRequestHandlers;
  private readonly exports: ExportRoutes;
  private readonly localAddresses = localAddressCache();
  private readonly rate = new RateLimiter(
    LIMITS.requestBurst,
    LIMITS.requestsPerSecond,
    LIMITS.maxTrackedClients,
  );
  private readonly streams = new StreamSlots(LIMITS.maxStreams, LIMITS.maxStreamsPerAddress);
  private readonly budget = new WorkBudget(LIMITS.apiWorkMsPerSecond);
  private readonly connections = new FairConnections(LIMITS.maxConnections, LIMITS.maxConnectionsPerAddress);
  private readonly slotOf = new WeakMap<Socket, ConnectionSlot>();
  /** Downloads being streamed (CSV, pcap, bundle): each holds a capture scan and a socket. */
  private exportsRunning = 0;
  private boundPort = 0;
  private readonly tokenRequired: TokenRequiredBody;
  /** Requests whose body may take longer than LIMITS.requestTimeoutMs: import uploads, which have their own. */
  private readonly longBodies = new WeakSet<http.IncomingMessage>();

  constructor(engine: Engine, opts: ServerOptions) {
    this.engine = engine;
    this.answers = engineRequestHandlers(engine);
    this.exports = new ExportRoutes(engine, parseQueryParams);
    this.opts = opts;
    this.tokenRequired = tokenRequired(opts.host, opts.command ?? 'dns-witness serve');
    // Header and request timeouts are checked every 5 s, not every 30 s (Node's default), so a slow client
    // is closed soon after its time; more often would wake an idle service for nothing.
    this.http = http.createServer({ connectionsCheckingInterval: 5000 }, (req, res) => {
      // A request in progress is busy: a full table closes idle and half-open connections first.
      const slot = this.slotOf.get(req.socket);
      if (slot) {
        slot.busy = true;
        res.once('close', () => (slot.busy = false));
      }
      this.deadline(req, res);
      this.route(req, res).catch((err: Error) => {
        if (!res.headersSent) sendJson(res, 500, { error: err.message });
        else res.destroy(err);
      });
    });
    // Slow or idle clients must not hold sockets for ever (slowloris), nor open unbounded connections; a
    // full table makes room for a newcomer instead of refusing it (engine/fair-connections.ts).
    this.http.headersTimeout = LIMITS.headersTimeoutMs;
    // Node's requestTimeout would cut a 2 GiB upload; deadline() applies the same limit to every other body.
    this.http.requestTimeout = 0;
    this.http.maxHeadersCount = 64;
    this.http.on('connection', (socket: Socket) => {
      const slot: ConnectionSlot = {
        address: socket.remoteAddress ?? '',
        busy: false,
        evict: () => socket.destroy(),
      };
      if (!this.connections.admit(slot)) {
        socket.destroy();
        return;
      }
      this.slotOf.set(socket, slot);
      socket.once('close', () => this.connections.release(slot));
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_BODY,
      handleProtocols: chooseStreamProtocol,
    });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  /**
   * A request's body must arrive within LIMITS.requestTimeoutMs of its headers (a slowloris body is cut with
   * 408), except an import upload, which must only keep moving (import-route.ts).
   */
  private deadline(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.complete) return;
    const timer = setTimeout(() => {
      if (req.complete || this.longBodies.has(req)) return;
      // Connection: close ends the socket once the answer is out.
      if (!res.headersSent) sendJson(res, 408, { error: 'request timed out' }, { connection: 'close' });
      else req.socket.destroy();
    }, LIMITS.requestTimeoutMs);
    const clear = (): void => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // A stream is busy for as long as it is open: a full table closes idle and half-open connections first.
    const slot = this.slotOf.get(req.socket);
    if (slot) slot.busy = true;
    const url = new URL(req.url ?? '/', 'http://x');
    const remote = req.socket.remoteAddress ?? '';
    if (url.pathname !== STREAM_PATH)
      return refuseUpgrade(socket, 404, 'Not Found', { error: 'no such stream' });
    if (!this.hostAllowed(req))
      return refuseUpgrade(socket, 403, 'Forbidden', { error: 'unknown Host header' });
    if (!sameOrigin(req))
      return refuseUpgrade(socket, 403, 'Forbidden', { error: 'cross-origin stream refused' });
    if (!this.rate.take(remote))
      return refuseUpgrade(socket, 429, 'Too Many Requests', { error: 'too many requests' });
    if (!this.authorized(req)) return refuseUpgrade(socket, 401, 'Unauthorized', this.tokenRequired);
    const refusal = this.streams.acquire(remote);
    if (refusal !== null) return refuseUpgrade(socket, 503, 'Service Unavailable', { error: refusal });
    let released = false;
    const release = () => {
      if (!released) this.streams.release(remote);
      released = true;
    };
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('close', release);
      this.stream(ws);
    });
  }

  /** Resolves with the bound port; rejects with the listen error (e.g. EADDRINUSE). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.opts.host, port: this.opts.port }, () => {
        this.http.off('error', reject);
        this.boundPort = (this.http.address() as AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  get url(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    const shown = h === '0.0.0.0' || h === '[::]' ? '127.0.0.1' : h;
    return `http://${shown}:${this.boundPort}/`;
  }

  /** Addresses a browser can open: the bound address, or every non-internal one (then loopback) for a wildcard. */
  get urls(): string[] {
    if (!isWildcardAddress(this.opts.host)) return [this.url];
    const wantV6 = this.opts.host.includes(':');
    const hosts = [...this.localAddresses()].filter(
      (a) =>
        !a.startsWith('127.') && a !== '[::1]' && !a.startsWith('[fe80:') && (wantV6 || !a.startsWith('[')),
    );
    return [...hosts.map((h) => `http://${h}:${this.boundPort}/`), this.url];
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private hostAllowed(req: http.IncomingMessage): boolean {
    return hostAllowed(req.headers.host, {
      bound: this.opts.host,
      port: this.boundPort,
      localAddresses: this.localAddresses,
    });
  }

  /** True when no token is set or the request carries it. */
  private authorized(req: http.IncomingMessage): boolean {
    const token = this.opts.token ?? null;
    return token === null || tokenMatches(token, presentedToken(req));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.hostAllowed(req)) {
      sendJson(res, 403, { error: 'unknown Host header' });
      return;
    }
    const remote = req.socket.remoteAddress ?? '';
    if (!this.rate.take(remote))
      return refuseLater(res, 429, 'too many requests; slow down', this.rate.retryAfter(remote));
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    // /metrics is the API's too: a scraper beyond loopback sends the token (Prometheus: `authorization`).
    if (p.startsWith('/api/') || p === METRICS_PATH) {
      // A page on another site may not make the service work for it, let alone change anything.
      if (!sameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin request refused' });
      if (!this.authorized(req))
        return sendJson(res, 401, this.tokenRequired, { 'www-authenticate': 'Bearer realm="DNS Witness"' });
      // The forwarder shares this event loop: past the API's share of it, refuse rather than queue
      // (health is a few fields, and monitors should see the service up while it sheds load).
      if (p !== '/api/health' && !this.budget.available())
        return refuseLater(res, 503, 'busy; try again in a moment', 1);
    }
    if (p.startsWith(RPC_PATH)) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
      return this.rpc(p.slice(RPC_PATH.length), req, res);
    }
    if (p === IMPORT_PATH) {
      this.longBodies.add(req);
      return handleImportUpload(
        this.engine,
        req,
        res,
        url,
        this.opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
        sendJson,
      );
    }
    if (ExportRoutes.owns(p)) {
      if (this.exportsRunning >= LIMITS.maxCsvExports)
        return sendJson(res, 429, { error: 'too many exports at once; wait for one to finish' });
      this.exportsRunning += 1;
      res.once('close', () => (this.exportsRunning -= 1));
      // Every /api/ request was checked for its origin above.
      return this.exports.handle(p, url, req, res, true);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    switch (p) {
      case '/api/health': {
        // 503 while DNS cannot be served, so a plain HTTP monitor sees it; the problems say the rest.
        const s = this.engine.status();
        const health = healthOf(s, this.streamLag());
        return sendJson(res, health.ok ? 200 : 503, {
          ok: health.ok,
          version: s.version,
          dns: listenerNames(s),
          problems: health.problems,
          // Not a problem: DNS is answered while the earlier captures are read.
          history: s.history,
          ...(s.dnstapIn ? { dnstap_in: dnstapInHealth(s.dnstapIn) } : {}),
        });
      }
      case METRICS_PATH:
        return this.budget.measure(() => {
          const text = this.engine.metrics();
          res.writeHead(200, {
            'content-type': EXPOSITION_CONTENT_TYPE,
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          });
          res.end(req.method === 'HEAD' ? undefined : text);
        });
      case '/api/summary': {
        const w = url.searchParams.get('window_s');
        const parsed = w === null ? null : correlationWindowSchema.safeParse(w);
        if (parsed && !parsed.success)
          return sendJson(res, 400, { error: parsed.error.issues[0]?.message ?? 'bad window_s' });
        return this.budget.measure(() =>
          sendJson(res, 200, this.summary(parsed ? parsed.data * 1000 : undefined)),
        );
      }
      case '/api/clients': {
        let req: ClientListRequest;
        try {
          req = parseClientParams(url.searchParams);
        } catch (err) {
          return sendJson(res, 400, { error: (err as Error).message });
        }
        return this.budget.measure(() => {
          const page = this.engine.clientPage(req);
          sendJson(res, 200, {
            total: page.total,
            queries: page.queries,
            offset: page.offset,
            limit: page.limit,
            clients: page.clients.map((c) => this.apiClient(c)),
          });
        });
      }
      case '/api/queries': {
        let q: QueryListRequest;
        try {
          q = parseQueryParams(url.searchParams);
        } catch (err) {
          return sendJson(res, 400, { error: (err as Error).message });
        }
        const page = await this.budget.measure(() => this.engine.queries(q));
        return this.budget.measure(() => sendJson(res, 200, { ...page, events: page.events.map(apiEvent) }));
      }
      default:
        if (p.startsWith('/api/')) return sendJson(res, 404, { error: 'no such endpoint' });
        return this.serveStatic(p, res);
    }
  }

  /** A client as /api/summary and /api/clients list it. */
  private apiClient(c: ClientSummary) {
    return {
      address: c.address,
      queries: c.queries,
      first_seen: isoLocal(c.firstSeen),
      last_seen: isoLocal(c.lastSeen),
      ...deviceFields(this.engine.device(c.address)),
    };
  }

  private summary(correlationWindowMs?: number) {
    const s = this.engine.status();
    const captures = this.engine.captures();
    const clients = this.engine.clients();
    const watch = this.engine.watchReport(correlationWindowMs);
    const routers = this.engine.routerAddresses();
    // The same size for ten clients or a hundred thousand: the busiest and the routers; /api/clients pages.
    const pick = pickClients(clients, SUMMARY_CLIENTS, new Set(routers));
    return {
      total_queries: clients.reduce((n, c) => n + c.queries, 0),
      capture: s.capture,
      captures,
      clients: pick.listed.map((c) => this.apiClient(c)),
      clients_total: clients.length,
      other_clients: { clients: pick.otherClients, queries: pick.otherQueries },
      routers,
      watchlist: watchlistSummary(watch, (a) => deviceName(this.engine.device(a))),
      lookup_shape: lookupShapeSummary(watch),
      visibility: watch.visibility ?? [],
      markers: watch.markers.map((m) => ({ id: m.id, time: isoLocal(m.ts), label: m.label })),
      counters: s.counters,
      upstreams: s.upstreams,
      dns: listenerNames(s),
      warnings: s.warnings,
    };
  }

  private async rpc(name: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const channel = Object.hasOwn(RPC_ALIASES, name) ? RPC_ALIASES[name] : name;
    // The exports are downloads (export-routes.ts), not RPCs: only what the engine answers is routed here.
    if (!isEngineRequestChannel(channel)) return sendJson(res, 404, { error: `no such request: ${channel}` });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      if (err instanceof BodyTooLarge)
        return sendJson(res, 413, { error: err.message }, { connection: 'close' });
      return sendJson(res, 400, { error: (err as Error).message });
    }
    let args: RequestArgs<typeof channel>;
    try {
      args = parseRequestArgs(channel, (body as { args?: unknown } | null)?.args);
    } catch (err) {
      return sendJson(res, 400, { error: (err as Error).message });
    }
    // What the engine refuses (a name it cannot save, an unknown rule) rejects; route() answers 500 with the message.
    const result = await this.budget.measure(() => answerRequest(this.answers, channel, args));
    this.budget.measure(() => sendJson(res, 200, { result: result === undefined ? null : result }));
  }

  /**
   * Streams whose client fell behind: the live queries not sent to each since its last batch. /api/health
   * names those still behind (send buffer still full), so a dashboard that stops keeping up is seen.
   */
  private readonly streamDrops = new Map<WebSocket, number>();

  private streamLag(): StreamLag {
    let behind = 0;
    let dropped = 0;
    for (const [ws, n] of this.streamDrops)
      if (ws.bufferedAmount > MAX_WS_BUFFER) {
        behind++;
        dropped += n;
      }
    return { behind, dropped };
  }

  private stream(ws: WebSocket): void {
    // The stream is one-way; a client that keeps sending is misbehaving and is closed (1008 policy violation).
    let received = 0;
    const resetReceived = setInterval(() => (received = 0), 10_000);
    ws.on('message', () => {
      if (++received > LIMITS.streamMessagesPer10s) ws.close(1008, 'the stream takes no messages');
    });
    const send = (msg: StreamMessage): boolean => {
      if (ws.readyState !== ws.OPEN) return false;
      ws.send(JSON.stringify(msg));
      return true;
    };
    const unsubscribe = subscribeEngineEvents(this.engine, (channel, payload) => {
      const message = { channel, payload } as StreamMessage;
      if (message.channel !== 'query:batch') return void send(message);
      // A slow browser must not make the service buffer without bound: skip, count, and tell it.
      const batch = message.payload;
      const owed = this.streamDrops.get(ws) ?? 0;
      if (ws.bufferedAmount > MAX_WS_BUFFER) {
        this.streamDrops.set(ws, owed + batch.events.length + batch.dropped);
        return;
      }
      send({ channel: 'query:batch', payload: { ...batch, dropped: batch.dropped + owed } });
      this.streamDrops.delete(ws);
    });
    ws.on('close', () => {
      this.streamDrops.delete(ws);
      clearInterval(resetReceived);
      unsubscribe();
    });
    ws.on('error', () => ws.terminate());
    send({ channel: 'engine:status', payload: this.engine.status() });
  }

  private async serveStatic(pathname: string, res: http.ServerResponse): Promise<void> {
    const root = path.resolve(this.opts.rendererDir);
    const file = resolveStaticPath(root, pathname);
    if (file === null) return sendJson(res, 403, { error: 'outside the app' });
    let info;
    try {
      info = await stat(file);
    } catch {
      if (file === path.join(root, 'index.html'))
        return sendJson(res, 503, { error: `dashboard not built: ${root} is missing (run npm run build)` });
      return sendJson(res, 404, { error: 'not found' });
    }
    if (!info.isFile()) return sendJson(res, 404, { error: 'not found' });
    res.writeHead(200, {
      'content-type': staticContentType(file),
      'content-length': info.size,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  }
}

/** A request body over MAX_BODY: answered 413, not with a reset connection. */
class BodyTooLarge extends Error {
  constructor() {
    super(`request body too large (at most ${MAX_BODY} bytes)`);
  }
}

/**
 * The request body as JSON. Rejects with BodyTooLarge as soon as the body is known to exceed MAX_BODY (by
 * its Content-Length, or by what has arrived), and then reads the rest without keeping it, so the 413 is
 * not lost to a reset: closing a socket with unread data sends RST (RFC 1122 section 4.2.2.13).
 */
function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY;
    const chunks: Buffer[] = [];
    if (tooLarge) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (tooLarge) return;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return;
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve(null);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
