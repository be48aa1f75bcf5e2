/**
 * The access token when the dashboard listens beyond loopback: the service binds to this computer's address on
 * a test LAN (a bridge), and another "computer" (a network namespace on that bridge) tries the API and the
 * stream with curl and the ws client, with and without the token.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { createLab, type Lab, type LabHost } from '../helpers/netns';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { requireTool } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');

let lab: Lab;
let laptop: LabHost;
let upstream: Dnsmasq;

/** curl from the namespace: status code and body. */
async function curl(url: string, headers: string[] = []): Promise<{ status: number; body: string }> {
  const args = ['-s', '-m', '5', '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), url];
  const r = await lab.exec(laptop, 'curl', args, 10_000);
  const lines = r.stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

/** Opens the stream from the namespace with the ws client; "open <protocol>" or the refusal's status. */
async function streamFromLaptop(url: string, protocols: string[]): Promise<string> {
  const script = `
    const WebSocket = require('ws');
    const ws = new WebSocket(process.argv[1], JSON.parse(process.argv[2]), { handshakeTimeout: 5000 });
    ws.on('open', () => ws.once('message', (m) => { console.log('open ' + ws.protocol + ' ' + JSON.parse(m).channel); ws.close(); }));
    ws.on('unexpected-response', (_q, res) => { console.log(String(res.statusCode)); process.exit(0); });
    ws.on('error', (e) => { console.log('error ' + e.message); process.exit(0); });`;
  const r = await lab.exec(
    laptop,
    'sh',
    [
      '-c',
      `cd "$0" && exec "$1" -e "$2" "$3" "$4"`,
      ROOT,
      process.execPath,
      script,
      url,
      JSON.stringify(protocols),
    ],
    10_000,
  );
  return r.stdout.trim();
}

beforeAll(async () => {
  requireTool('curl', 'curl');
  lab = await createLab([{ name: 'laptop', mac: '02:00:5e:10:00:01' }]);
  laptop = lab.hosts[0]!;
  upstream = await startDnsmasq();
}, 30_000);
afterAll(async () => {
  await upstream?.stop();
  await lab?.destroy();
});

describe('serve bound to a LAN address', () => {
  let served: Served;
  let token: string;

  beforeAll(async () => {
    served = await startServe(upstream.port, { uiHost: lab.ipv4 });
    token = (await readFile(path.join(served.dataDir, 'ui-token'), 'utf8')).trim();
  }, 30_000);
  afterAll(async () => {
    await served?.stop();
    if (served) await removeDir(served.dataDir);
  });

  it('made a 0600 token and printed the LAN address with it once', async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(path.join(served.dataDir, 'ui-token'))).mode & 0o777).toBe(0o600);
    expect(served.output()).toContain(`dashboard: http://${lab.ipv4}:${served.uiPort}/#token=${token}\n`);
  });

  it('answers another computer only with the token', async () => {
    const api = `${served.base}/api/summary`;
    const none = await curl(api);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ token_required: true });
    expect((await curl(api, ['Authorization: Bearer not-the-token'])).status).toBe(401);
    expect((await curl(`${api}?token=${token}`)).status).toBe(401);
    const ok = await curl(api, [`Authorization: Bearer ${token}`]);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toHaveProperty('total_queries');
    const rpc = await curl(`${served.base}/api/rpc/capture:stop`, ['Content-Type: application/json']);
    expect(rpc.status).toBe(401);
    // The page itself carries no data: it loads, then asks for the token.
    expect((await curl(`${served.base}/`)).status).toBe(200);
  });

  it('refuses a rebinding name even with the token', async () => {
    const r = await curl(`${served.base}/api/summary`, [
      `Authorization: Bearer ${token}`,
      `Host: rebind.attacker.example:${served.uiPort}`,
    ]);
    expect(r.status).toBe(403);
  });

  it('opens the stream for another computer only with the token subprotocol', async () => {
    const url = `ws://${lab.ipv4}:${served.uiPort}/api/stream`;
    expect(await streamFromLaptop(url, [])).toBe('401');
    expect(await streamFromLaptop(url, ['dns-witness', 'dns-witness.token.nope'])).toBe('401');
    expect(await streamFromLaptop(url, ['dns-witness', `dns-witness.token.${token}`])).toBe(
      'open dns-witness engine:status',
    );
  });
});

describe('serve bound to every address', () => {
  it('requires the token from the LAN and from loopback alike', async () => {
    const served = await startServe(upstream.port, { uiHost: '0.0.0.0' });
    try {
      const token = (await readFile(path.join(served.dataDir, 'ui-token'), 'utf8')).trim();
      expect(served.output()).toContain(`http://${lab.ipv4}:${served.uiPort}/`);
      expect(served.output()).toContain(`#token=${token}`);
      const lanApi = `http://${lab.ipv4}:${served.uiPort}/api/health`;
      expect((await curl(lanApi)).status).toBe(401);
      expect((await curl(lanApi, [`Authorization: Bearer ${token}`])).status).toBe(200);
      expect((await fetch(`${served.base}/api/health`)).status).toBe(401);
      const own = await fetch(`${served.base}/api/health`, { headers: { authorization: `Bearer ${token}` } });
      expect(own.status).toBe(200);
      // A literal address that is not this computer's is refused like a name.
      const foreign = await curl(lanApi, [
        `Authorization: Bearer ${token}`,
        `Host: 10.99.99.99:${served.uiPort}`,
      ]);
      expect(foreign.status).toBe(403);
    } finally {
      await served.stop();
      await removeDir(served.dataDir);
    }
  }, 30_000);
});
