import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import { ensureDir } from '../capture/journal';

/**
 * The installation's signing key: an Ed25519 key pair (RFC 8032, "pure" Ed25519 over the whole message)
 * made the first time a bundle is built, kept in the data folder, owner-only (0600). The bundle's manifest
 * carries the public key and is signed with the private one, so verify can check a bundle offline, and
 * the fingerprint a user publishes once shows later that two bundles came from the same install.
 */
export const INSTALL_KEY_FILE = 'install-key.pem';

export interface InstallKey {
  readonly privateKey: KeyObject;
  /** The 32-byte public key (RFC 8032 §5.1.5). */
  readonly publicKey: Buffer;
  readonly fingerprint: string;
}

/** SHA-256 of the raw public key in hex, in groups of four: what the user compares and publishes. */
export function keyFingerprint(rawPublicKey: Uint8Array): string {
  const hex = createHash('sha256').update(rawPublicKey).digest('hex');
  return hex.match(/.{4}/g)!.join(' ');
}

/** A fingerprint as typed by a user (any case, spaces or colons) in the form keyFingerprint writes. */
export function normalizeFingerprint(text: string): string {
  const hex = text.toLowerCase().replace(/[^0-9a-f]/g, '');
  return hex.match(/.{1,4}/g)?.join(' ') ?? '';
}

function rawPublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  return Buffer.from(x ?? '', 'base64url');
}

function fromPrivate(privateKey: KeyObject): InstallKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the install key is not an Ed25519 key');
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { privateKey, publicKey, fingerprint: keyFingerprint(publicKey) };
}

/** Ed25519 signature (base64) of `message`. */
export function signWith(key: InstallKey, message: Uint8Array): string {
  return sign(null, message, key.privateKey).toString('base64');
}

/** Whether `signature` (base64) is the Ed25519 signature of `message` by the raw `publicKey`. Never throws. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: string): boolean {
  try {
    if (publicKey.length !== 32) return false;
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, message, key, Buffer.from(signature.trim(), 'base64'));
  } catch {
    return false;
  }
}

/**
 * The install key of `dataDir`, made on first use (not at start-up: most runs never export). One instance
 * per data folder, so two exports at once cannot make two keys. A key file that exists but cannot be read
 * is an error, never replaced: a new key would silently break the published fingerprint.
 */
export class InstallKeyStore {
  private key: Promise<InstallKey> | null = null;

  constructor(private readonly dataDir: string) {}

  get(): Promise<InstallKey> {
    this.key ??= this.load().catch((err: unknown) => {
      this.key = null;
      throw err;
    });
    return this.key;
  }

  private async load(): Promise<InstallKey> {
    const path = join(this.dataDir, INSTALL_KEY_FILE);
    let pem: string | null = null;
    try {
      pem = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (pem !== null) {
      try {
        return fromPrivate(createPrivateKey(pem));
      } catch (err) {
        throw new Error(
          `${path} holds no usable install key (${(err as Error).message}); move it away to make a new one`,
        );
      }
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    await ensureDir(this.dataDir);
    // writeFileAtomic creates it 0600: the private key is for this user only.
    await writeFileAtomic(path, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    return fromPrivate(privateKey);
  }
}
