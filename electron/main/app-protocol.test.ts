import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from '@shared/csp';
import { createAppHandler, registerAppScheme, resolveAppPath, setupAppProtocol } from './app-protocol';
import { traversalAttempts } from '../engine/static-path-test-support';
import { protocol } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

/** What every app:// response must carry: the shared policy. */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

let base: string;
let root: string;
let serve: (request: Request) => Promise<Response>;

/** A request as the handler sees it; a plain object so URLs reach it without any normalisation. */
function rawRequest(url: string, method = 'GET'): Request {
  return { url, method } as Request;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'dns-witness-protocol-'));
  root = join(base, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>DNS Witness</title>');
  await writeFile(join(root, 'assets', 'index-abc.js'), 'console.log("ui");');
  await writeFile(join(root, 'assets', 'index-abc.css'), 'body{}');
  // Next to the served folder: must never be reachable.
  await writeFile(join(base, 'secret.txt'), 'secret');
  serve = createAppHandler(root);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('app:// handler', () => {
  it('serves files with their content type and the CSP header', async () => {
    const html = await serve(new Request('app://dns-witness/index.html'));
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('<title>DNS Witness</title>');
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');

    const js = await serve(new Request('app://dns-witness/assets/index-abc.js?v=1#x'));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log("ui");');

    const css = await serve(rawRequest('app://dns-witness/assets/index-abc.css'));
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves index.html for the bare origin', async () => {
    const res = await serve(rawRequest('app://dns-witness/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('DNS Witness');
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await serve(rawRequest('app://dns-witness/index.html', 'HEAD'));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await serve(rawRequest('app://dns-witness/index.html', 'POST'));
    expect(post.status).toBe(405);
  });

  it('refuses every form of path traversal, with the CSP header on the refusal', async () => {
    // The same forms run against the headless server (electron/headless/server-static.test.ts).
    const attempts = traversalAttempts(base).map((p) => `app://dns-witness${p}`);
    expect(attempts).toHaveLength(12);
    for (const url of attempts) {
      const res = await serve(rawRequest(url));
      expect(res.status, url).toBe(403);
      expect(await res.text(), url).not.toContain('secret');
      expect(res.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('answers 404 for missing files, folders and other hosts', async () => {
    expect((await serve(rawRequest('app://dns-witness/missing.js'))).status).toBe(404);
    expect((await serve(rawRequest('app://dns-witness/assets'))).status).toBe(404);
    expect((await serve(rawRequest('app://other-host/index.html'))).status).toBe(404);
  });
});

describe('resolveAppPath()', () => {
  it('maps URLs inside the root and nothing else', () => {
    expect(resolveAppPath(root, 'app://dns-witness/assets/index-abc.js')).toBe(
      join(root, 'assets', 'index-abc.js'),
    );
    expect(resolveAppPath(root, 'app://dns-witness/assets/a%20b.js')).toBe(join(root, 'assets', 'a b.js'));
    expect(resolveAppPath(root, 'app://dns-witness/./index.html')).toBeNull();
    expect(resolveAppPath(root, 'app://dns-witness/assets/')).toBeNull();
    expect(resolveAppPath(root, 'file:///etc/passwd')).toBeNull();
  });
});

describe('registration', () => {
  it('registers app:// as a standard, secure scheme and handles it', () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) },
    ]);
    setupAppProtocol(root);
    expect(protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it("starts the CSP from default-src 'none' and allows no inline or foreign scripts", () => {
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy('meta')).not.toContain('frame-ancestors');
  });
});
