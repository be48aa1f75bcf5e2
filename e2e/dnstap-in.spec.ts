/**
 * Exchanges a resolver reports over dnstap, in the dashboard: the status bar names the resolver and says its
 * queries were observed, not forwarded; they reach the log like forwarded ones. The sender is a test peer
 * writing Frame Streams to the service's `--dnstap-in` socket on loopback.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sendExchanges } from '../test/helpers/dnstap-peer';
import { expect, logRows, test } from './fixtures';

const SOCKET = path.join(tmpdir(), `dnsw-e2e-dnstap-in-${process.pid}.sock`);
const NAMES = ['observed-one.example', 'observed-two.example', 'observed-three.example'];

test.use({ serviceArgs: ['--dnstap-in', `unix:${SOCKET}`] });

test('says which resolver reported the observed queries, and lists them', async ({ page, service }) => {
  await page.goto(service.url);
  const fact = page.getByTestId('status-dnstap-in');
  await expect(fact).toContainText('no resolver yet');
  await expect(fact).toContainText('0 observed, not forwarded');
  await sendExchanges({ path: SOCKET }, NAMES);
  await expect(fact).toContainText('generator (test)');
  await expect(fact).toContainText('3 observed, not forwarded');
  await expect(logRows(page)).toHaveCount(NAMES.length);
  for (const name of NAMES) await expect(logRows(page).filter({ hasText: name })).toHaveCount(1);
  // Its own DNS still answers beside the input.
  await expect(page.getByTestId('status-listen')).toContainText(`127.0.0.1:${service.dnsPort}`);
});
