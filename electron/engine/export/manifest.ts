import { createHash } from 'node:crypto';
import type { QueryFilter } from '@shared/events';
import type { ChainReport } from './journal-verify';

/** The format name written into summary.json and manifest.json. */
export const EVIDENCE_FORMAT = 'dns-witness-evidence/1';
export const MANIFEST_FILE = 'manifest.json';
/** The Ed25519 signature (base64) of manifest.json's exact bytes by the install key it names. */
export const SIGNATURE_FILE = 'manifest.sig';
/** Journals are stored in the bundle as journal/<captureId>.ndjson. */
export const JOURNAL_DIR = 'journal/';

export interface ManifestFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The chain state of one journal in the bundle, as found when the bundle was built. */
export interface ManifestJournal {
  readonly file: string;
  readonly capture: string;
  readonly chain: ChainReport['state'];
  readonly records: number;
  readonly blocks: number;
  /** The last seal's chain value; "" when none. */
  readonly head: string;
  /** Sealed records (bundles made before these fields existed lack them, as they lack `derived`). */
  readonly sealed?: number;
  /** The journal ends with its closing seal. */
  readonly closed?: boolean;
  /** The capture was running at export: the journal was cut after its last seal and `head` pins that end. */
  readonly running?: boolean;
}

/** A server address of the made-up pcap packets. */
export interface ManifestEndpoint {
  readonly address: string;
  readonly port: number;
}

/** The CSV's device columns for one client, as known at export time (the journal does not hold them). */
export interface ManifestDevice {
  readonly device: string;
  readonly mac: string;
  readonly vendor: string;
  readonly is_router: boolean;
}

/** The public half of the install key (install-key.ts). */
export interface ManifestSigner {
  readonly algorithm: 'Ed25519';
  /** The raw 32-byte public key, base64. */
  readonly public_key: string;
  /** SHA-256 of the raw public key, hex in groups of four. */
  readonly fingerprint: string;
}

/** What verify needs to derive queries.csv and dns.pcap again from the journals (derive.ts). */
export interface ManifestDerivation {
  /** The export's filter as it was applied (epoch ms). */
  readonly filter: QueryFilter;
  readonly pcap_servers: { readonly v4: ManifestEndpoint; readonly v6: ManifestEndpoint };
  /** Per client address in the CSV. */
  readonly csv_devices: Readonly<Record<string, ManifestDevice>>;
}

export interface Manifest {
  readonly format: string;
  readonly generated_at: string;
  readonly algorithm: 'SHA-256';
  readonly files: readonly ManifestFile[];
  readonly journals: readonly ManifestJournal[];
  readonly derived?: ManifestDerivation;
  /** The install key that signed this manifest (SIGNATURE_FILE); bundles made before signing lack it. */
  readonly signed_by?: ManifestSigner;
  /** SHA-256 of this JSON text with this field set to 64 zeros, so a change to the manifest shows too. */
  readonly manifest_sha256: string;
}

const ZEROS = '0'.repeat(64);

function text(m: Omit<Manifest, 'manifest_sha256'>, self: string): string {
  return `${JSON.stringify({ ...m, manifest_sha256: self }, null, 2)}\n`;
}

/** The manifest's text, sealed with its own hash. */
export function manifestText(m: Omit<Manifest, 'manifest_sha256'>): string {
  const self = createHash('sha256').update(text(m, ZEROS)).digest('hex');
  return text(m, self);
}

/**
 * Parses a manifest and checks its own hash; throws an Error naming the problem. The text must be exactly
 * what manifestText wrote (the hash is over that text).
 */
export function parseManifest(raw: string): Manifest {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error('manifest.json is not valid JSON');
  }
  const m = v as Partial<Manifest> | null;
  if (
    typeof m !== 'object' ||
    m === null ||
    m.format !== EVIDENCE_FORMAT ||
    !Array.isArray(m.files) ||
    !Array.isArray(m.journals) ||
    typeof m.manifest_sha256 !== 'string'
  )
    throw new Error(`manifest.json is not a ${EVIDENCE_FORMAT} manifest`);
  const expected = createHash('sha256')
    .update(raw.replace(`"manifest_sha256": "${m.manifest_sha256}"`, `"manifest_sha256": "${ZEROS}"`))
    .digest('hex');
  if (expected !== m.manifest_sha256) throw new Error('manifest.json was changed after the bundle was built');
  return m as Manifest;
}
