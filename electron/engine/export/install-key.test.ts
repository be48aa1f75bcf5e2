import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../capture/test-support';
import {
  INSTALL_KEY_FILE,
  InstallKeyStore,
  keyFingerprint,
  normalizeFingerprint,
  signWith,
  verifySignature,
} from './install-key';

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dnsw-key-'));
});
afterEach(() => cleanup());

describe('the install key', () => {
  it('is made once, owner-only, and the same after a restart', async () => {
    const store = new InstallKeyStore(dir);
    const [a, b] = await Promise.all([store.get(), store.get()]);
    expect(a).toBe(b);
    const file = join(dir, INSTALL_KEY_FILE);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = await new InstallKeyStore(dir).get();
    expect(again.fingerprint).toBe(a.fingerprint);
    expect(a.publicKey).toHaveLength(32);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){15}$/);
    expect(keyFingerprint(a.publicKey)).toBe(a.fingerprint);
    expect(normalizeFingerprint(a.fingerprint.replace(/ /g, ':').toUpperCase())).toBe(a.fingerprint);
  });

  it('signs with Ed25519 and the signature checks only for the same bytes and key', async () => {
    const key = await new InstallKeyStore(dir).get();
    const message = Buffer.from('{"format":"dns-witness-evidence/1"}\n');
    const sig = signWith(key, message);
    expect(Buffer.from(sig, 'base64')).toHaveLength(64);
    expect(verifySignature(key.publicKey, message, sig)).toBe(true);
    expect(verifySignature(key.publicKey, Buffer.from('{"format":"dns-witness-evidence/2"}\n'), sig)).toBe(
      false,
    );
    const other = await new InstallKeyStore(join(dir, 'other')).get();
    expect(verifySignature(other.publicKey, message, sig)).toBe(false);
    expect(verifySignature(Buffer.alloc(3), message, sig)).toBe(false);
  });

  it('refuses a key file it cannot use instead of replacing it', async () => {
    await writeFile(join(dir, INSTALL_KEY_FILE), 'not a key');
    await expect(new InstallKeyStore(dir).get()).rejects.toThrow(/holds no usable install key/);
    expect(await readFile(join(dir, INSTALL_KEY_FILE), 'utf8')).toBe('not a key');
  });
});
