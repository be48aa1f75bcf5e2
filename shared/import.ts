/**
 * What the import's callers agree on (the dashboard, the desktop app, the headless service, the evidence):
 * the options a dashboard import takes, its progress, and how a partial import is said.
 */
import { z } from 'zod';
import type { CaptureSource, ImportFormat, PartialImport } from './events';

/** The formats a user may name; 'auto' recognises the file. Kept in the order of the import's format table. */
export const IMPORT_FORMATS = ['pihole', 'adguard', 'dnsmasq', 'pcap', 'pcapng', 'zeek', 'dnstap'] as const;

/** An import id: made by whoever starts it, so a page can cancel an upload before the service answers. */
export const IMPORT_ID_PATTERN = /^[a-z0-9-]{8,40}$/;

/** The choices of the dashboard's Import dialog, as the command line has them. */
export interface ImportRequest {
  readonly id: string;
  readonly format: ImportFormat | 'auto';
  /** A name for the capture ("" for none). */
  readonly name: string;
  /** Addresses to mark as the router. */
  readonly routers: readonly string[];
  /** Keep what comes before damage in the middle of the file, marked partial (default: roll back). */
  readonly keepPartial: boolean;
}

const ipText = z
  .string()
  .trim()
  .max(45)
  .regex(/^[0-9a-fA-F:.]+$/, 'not an IP address');

export const importRequestSchema = z.strictObject({
  id: z.string().regex(IMPORT_ID_PATTERN, 'not an import id'),
  format: z.enum(['auto', ...IMPORT_FORMATS]).default('auto'),
  name: z.string().trim().max(200).default(''),
  routers: z.array(ipText).max(16).default([]),
  keepPartial: z.boolean().default(false),
});

export const importCancelSchema = z.strictObject({
  id: z.string().regex(IMPORT_ID_PATTERN, 'not an import id'),
});

/** The result of asking for an import: its id, or null when no file was chosen. */
export type ImportStarted = { readonly id: string } | null;

/**
 * How far one import is: 'uploading' (the page sends the file; only that page knows), 'running', then one
 * of 'done', 'failed' (with the one-line message the command line prints) or 'cancelled'.
 */
export interface ImportProgress {
  readonly id: string;
  readonly state: 'uploading' | 'running' | 'done' | 'failed' | 'cancelled';
  /** The file's name as the user chose it. */
  readonly file: string;
  readonly bytes: number;
  readonly totalBytes: number;
  readonly queries: number;
  readonly skipped: number;
  /** Queries (or, while uploading, bytes) per second so far. */
  readonly rate: number;
  /** 'failed': the one-line reason; 'done': notes (a partial import, a router not saved); else "". */
  readonly message: string;
  /** 'done': the new capture. */
  readonly captureId: string;
  readonly partial: false | PartialImport;
}

/**
 * "a partial import: querylog.json line 20001 is damaged (not a JSON object); 19,456 queries read before it
 * were kept, nothing after it".
 */
export function partialSentence(p: PartialImport): string {
  return (
    `a partial import: ${p.file} ${p.at} is damaged (${p.reason}); ${p.queries.toLocaleString('en-US')} ` +
    `queries read before it were kept${p.skipped > 0 ? `, ${p.skipped.toLocaleString('en-US')} entries skipped` : ''}, nothing after it`
  );
}

/**
 * "the DHCP leases dnsmasq.leases (SHA-256 …)": the lease files an import read for its devices' MACs and
 * names, for the provenance lines; "" when it read none (or capture.json predates them).
 */
export function leasesPhrase(source: Pick<CaptureSource, 'leases'>): string {
  const files = source.leases ?? [];
  if (files.length === 0) return '';
  return `the DHCP leases ${files.map((f) => `${f.name} (SHA-256 ${f.sha256})`).join(', ')}`;
}

/** True for an imported capture that holds only part of its file. */
export function isPartial(source: CaptureSource | undefined | null): boolean {
  return source?.partial !== undefined && source.partial !== false;
}
