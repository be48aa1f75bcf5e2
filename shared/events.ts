/**
 * The data that flows from the capture engine to every consumer (journal, IPC, WebSocket, CSV).
 * Plain numbers and strings only, so an event serialises the same way everywhere.
 */

/** Transport a client used to reach the forwarder. */
export type Transport = 'udp' | 'tcp';

/** One DNS query answered (or refused to be forwarded) by the forwarder. */
export interface QueryEvent {
  /** Global sequence number, strictly increasing across captures and restarts. */
  readonly seq: number;
  /** Milliseconds since the Unix epoch when the query arrived. */
  readonly ts: number;
  /** The same instant as ISO 8601 local time with milliseconds and UTC offset. */
  readonly time: string;
  /** Capture this query belongs to. */
  readonly captureId: string;
  /** Client IP address (IPv6 without brackets; IPv4-mapped addresses unwrapped). */
  readonly client: string;
  readonly clientPort: number;
  readonly transport: Transport;
  /** Question name, lowercase, no trailing dot; "." for the root. */
  readonly qname: string;
  /** Question type mnemonic ("A", "AAAA", "TYPE65280" when unknown). */
  readonly qtype: string;
  /** Response code mnemonic ("NOERROR", "NXDOMAIN", "SERVFAIL", ...). */
  readonly rcode: string;
  /** Short human summary of the answer section ("93.184.216.34, 2606:2800::1"); "" when none. */
  readonly answers: string;
  /** Time from query arrival to response sent, in milliseconds (3 decimals). */
  readonly latencyMs: number;
  /** Upstream that produced the answer ("1.1.1.1:53"), "" when none did. */
  readonly upstream: string;
  /** Size in bytes of the response sent to the client; 0 when none was sent. */
  readonly size: number;
  /** Why the forwarder answered itself ("timeout", "loop", "overload", "blocked", ...); "" when the upstream answered. */
  readonly error: string;
  /** Id of the watchlist rule the name matched when it was recorded; "" for none. */
  readonly watchRule: string;
  /**
   * Where an observed exchange came from, when DNS Witness did not forward it itself: the resolver that
   * reported it over dnstap and the input it arrived on ("dnstap: unbound-1 (unbound 1.17.1) via
   * unix:/run/dnsw.sock"). Absent for the queries DNS Witness answered.
   */
  readonly source?: string;
}

/** A numbered group of events for streaming; `dropped` counts events this subscriber did not receive. */
export interface QueryBatch {
  /** Batch number for this subscriber, starting at 1. */
  readonly batch: number;
  readonly events: readonly QueryEvent[];
  /** Events skipped for this subscriber since the previous batch because it fell behind. */
  readonly dropped: number;
}

export type CaptureState = 'running' | 'stopped';

/** A capture: one contiguous recording period. */
export interface CaptureInfo {
  readonly id: string;
  readonly state: CaptureState;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms, 0 while running. */
  readonly stoppedAt: number;
  readonly queries: number;
  /** Set when the capture was imported from another program's records instead of recorded here. */
  readonly source?: CaptureSource;
}

/** The import formats: DNS logs, databases and packet captures made by other programs. */
export type ImportFormat = 'pihole' | 'adguard' | 'dnsmasq' | 'pcap' | 'pcapng' | 'zeek' | 'dnstap';

/** One file an import read: its name (without its folder), size and SHA-256 as it was read. */
export interface SourceFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Where a partial import stopped, and what it kept. */
export interface PartialImport {
  /** The first bad place: "line N" or "byte offset N" of the file named in `file`. */
  readonly at: string;
  readonly file: string;
  /** The reason the reader gave, as the one-line message says it. */
  readonly reason: string;
  /** Queries kept (all before `at`) and entries skipped until then. */
  readonly queries: number;
  readonly skipped: number;
}

/**
 * Where an imported capture came from: DNS Witness did not observe these queries itself, it read them
 * from `files` (a log and its rotated parts, oldest first).
 */
export interface CaptureSource {
  readonly format: ImportFormat;
  readonly files: readonly SourceFile[];
  /** The name given at import ("" for none). */
  readonly name: string;
  /** Epoch ms when the import finished. */
  readonly importedAt: number;
  /** "DNS Witness 0.1.0": the version that read the file. */
  readonly app: string;
  /** What this kind of file does not record, in sentences ("Pi-hole keeps no DNS messages"). */
  readonly cannotTell: readonly string[];
  /** Whether the records keep the DNS messages' bytes (PCAP, dnstap); false: the pcap export leaves them out. */
  readonly wire: boolean;
  /** Entries of the file that were not DNS queries or could not be read, and were left out. */
  readonly skipped: number;
  /**
   * False for a whole import. Set when the file was damaged part way and the import kept what came before
   * the damage (`--keep-partial`): the capture holds only that.
   */
  readonly partial: false | PartialImport;
  /** Devices the source names (a MAC from a packet's Ethernet header, a host name from a database). */
  readonly devices: readonly { readonly address: string; readonly mac: string; readonly name: string }[];
  /** DHCP lease files read besides (`--leases`) for the devices' MACs and names; [] for none. */
  readonly leases: readonly SourceFile[];
}

export interface ListenerStatus {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
  readonly state: 'listening' | 'error' | 'closed';
  /** One-line explanation with the fix when state is 'error'. */
  readonly error: string;
  /** UDP only: the receive buffer the kernel granted, said once in the log. */
  readonly receiveBuffer?: ReceiveBuffer;
}

export interface ReceiveBuffer {
  /** One line: the size granted, or the kernel's lower limit and how to raise it. */
  readonly note: string;
  /** The kernel gave less than asked: bursts while the service is busy can be dropped unread. */
  readonly limited: boolean;
}

export interface UpstreamStatus {
  readonly address: string;
  readonly healthy: boolean;
  readonly queries: number;
  readonly failures: number;
  readonly lastError: string;
}

export type WarningCode =
  | 'loop-detected'
  | 'port-unavailable'
  | 'upstream-failing'
  | 'refused-client'
  | 'overload'
  | 'journal-error'
  /** MAC, vendor, hostname or router detection, or saving device names, did not work. */
  | 'device-lookup'
  /** The watchlist settings could not be read or saved. */
  | 'watchlist'
  /** The saved settings (settings.json) could not be read, or a saved value could not be used. */
  | 'settings'
  /** The data folder: a stale lock taken over. */
  | 'storage'
  /** A dnstap input: a peer dropped (refused, garbage, wrong content type, no START, oversized frame). */
  | 'dnstap-in'
  /** The DNS thread stopped (a crash) and was started again. */
  | 'dns-thread';

export interface EngineWarning {
  readonly code: WarningCode;
  readonly message: string;
  /** Epoch ms of the latest occurrence. */
  readonly ts: number;
  readonly count: number;
}

/** What the status says about the DNS thread beyond the forwarder's own figures. */
export interface DnsThreadHealth {
  /** Times the thread died (an uncaught exception, an exit) and was started again. */
  readonly restarts: number;
  /** Why it last died, "" when it never did. */
  readonly lastCrash: string;
  /** When it last died (epoch ms), 0 when it never did. */
  readonly lastCrashAt: number;
  /** Records it dropped because the main thread fell too far behind taking its batches in. */
  readonly dropped: number;
}

/** Counters of everything the forwarder did, including what it did not record as queries. */
export interface EngineCounters {
  readonly queries: number;
  readonly answered: number;
  readonly servfail: number;
  readonly refused: number;
  readonly malformed: number;
  readonly unexpectedResponses: number;
  readonly overload: number;
  readonly loops: number;
  readonly inFlight: number;
}

/** Whether what is recorded reaches the disk. */
export interface StorageStatus {
  /** Why the capture's journal cannot be written now ("" while it can): queries wait in memory meanwhile. */
  readonly error: string;
  /** Queries answered but not saved since the service started (the memory for waiting ones ran out). */
  readonly lostRecords: number;
}

export interface EngineStatus {
  readonly version: string;
  readonly capture: CaptureInfo | null;
  readonly listeners: readonly ListenerStatus[];
  readonly upstreams: readonly UpstreamStatus[];
  readonly counters: EngineCounters;
  /** Queries per second over the last 10 seconds. */
  readonly qps: number;
  readonly warnings: readonly EngineWarning[];
  readonly storage: StorageStatus;
  /** Exchanges the dnstap outputs dropped since the start (a reader away or too slow); absent: none configured. */
  readonly dnstapDropped?: number;
  /** Earlier captures being read after a start (DNS is answered meanwhile); absent: all read. */
  readonly history?: HistoryStatus;
  /** The dnstap inputs (`--dnstap-in`); absent: none configured. */
  readonly dnstapIn?: DnstapInStatus;
  /** Alert targets switched on whose last delivery failed (or MQTT not connected), with why; absent: none. */
  readonly alertsFailing?: readonly { readonly target: string; readonly error: string }[];
  /** The DNS thread (sockets and upstream exchanges on their own thread); absent when DNS runs on the main one. */
  readonly dnsThread?: DnsThreadHealth;
  readonly dataDir: string;
  /** Epoch ms when the status was taken. */
  readonly now: number;
}

/**
 * Earlier captures read from disk after a start. While `loading`, DNS is answered and recorded as always;
 * queries, summaries and the chart hold the captures read so far, and exports wait for the rest.
 */
export interface HistoryStatus {
  readonly state: 'loading' | 'loaded';
  /** Captures read so far, of `capturesTotal`. */
  readonly captures: number;
  readonly capturesTotal: number;
  /** Queries of the captures read so far. */
  readonly queries: number;
  /** Share of the journals' bytes read, 0 to 1. */
  readonly progress: number;
}

/** One dnstap input: where it listens and whether it does. */
export interface DnstapInListener {
  /** `unix:PATH` or `tcp:ADDR:PORT`. */
  readonly target: string;
  readonly state: 'listening' | 'error' | 'closed';
  /** Why it does not listen, "" while it does. */
  readonly error: string;
}

/** What the dnstap inputs observed: exchanges another resolver answered, reported to DNS Witness. */
export interface DnstapInStatus {
  readonly listeners: readonly DnstapInListener[];
  /** Peers connected now. */
  readonly peers: number;
  /** The resolvers heard from (dnstap identity and version), newest first, at most a few. */
  readonly sources: readonly string[];
  /** dnstap messages received and decoded. */
  readonly messages: number;
  /** Exchanges recorded from them. */
  readonly records: number;
  /** Messages dropped: the decode queue was full. */
  readonly dropped: number;
  /** Peers dropped for a protocol error or refused by the allow-list. */
  readonly peersDropped: number;
}

/** What is known about one client address: the router, its hardware address and vendor, its names. */
export interface DeviceInfo {
  /** Client IP address, as in QueryEvent.client. */
  readonly address: string;
  /** Hardware address "aa:bb:cc:dd:ee:ff" from the OS neighbour table; "" when unknown. */
  readonly mac: string;
  /** Vendor registered for the MAC's OUI (IEEE); "" when unknown or private. */
  readonly vendor: string;
  /** Locally administered (typically randomized "private Wi-Fi") MAC: it names no vendor. */
  readonly privateMac: boolean;
  /** Name from reverse DNS (or mDNS); "" when none. */
  readonly hostname: string;
  /** Name the user gave the device; "" when none. */
  readonly name: string;
  /** A default gateway of this computer, or named as the router by the user. */
  readonly isRouter: boolean;
}

/** Per-client totals across the retained captures. */
export interface ClientSummary {
  readonly address: string;
  readonly queries: number;
  /** Epoch ms. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** One page of the clients, most queries first, with what the page leaves out. */
export interface ClientPage {
  /** Clients in all. */
  readonly total: number;
  /** Queries of all clients together. */
  readonly queries: number;
  readonly offset: number;
  readonly limit: number;
  readonly clients: readonly ClientSummary[];
  /** What is known about each client of the page. */
  readonly devices: readonly DeviceInfo[];
}

/** Queries per client in one minute. `counts` is keyed by client address. */
export interface MinuteBucket {
  /** Epoch ms of the start of the minute. */
  readonly minute: number;
  readonly counts: Readonly<Record<string, number>>;
}

/** Everything a (re)loaded dashboard needs before it applies live batches with a higher event seq. */
export interface Snapshot {
  /** Highest event seq included; apply only live events with a greater seq. */
  readonly lastSeq: number;
  readonly status: EngineStatus;
  readonly captures: readonly CaptureInfo[];
  /**
   * The clients with the most queries (at most SNAPSHOT_CLIENTS, routers always among them); the others are
   * counted in `otherClients` and paged with `device:list`. The minute buckets cover these clients only.
   */
  readonly clients: readonly ClientSummary[];
  /** Clients left out of `clients`, and their queries. */
  readonly otherClients?: { readonly clients: number; readonly queries: number };
  /** Per-minute counts, oldest first, for the requested range. */
  readonly minutes: readonly MinuteBucket[];
  /** The most recent events, oldest first (bounded). */
  readonly recent: readonly QueryEvent[];
  /** What is known about each client seen since the engine started (later changes come as device:update). */
  readonly devices: readonly DeviceInfo[];
}

export interface QueryFilter {
  readonly client?: string;
  /** Case-insensitive substring of the qname. */
  readonly name?: string;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  readonly captureId?: string;
  /** Only queries that matched a watchlist rule (any rule). */
  readonly watched?: boolean;
  /** Only queries that matched this watchlist rule id. */
  readonly rule?: string;
}

export interface QueryPage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly events: readonly QueryEvent[];
}
