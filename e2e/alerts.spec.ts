/**
 * Settings → Alerts in Chromium against the real service: off by default, a webhook and an ntfy-shaped
 * endpoint (a local HTTP server: ntfy is not packaged for Debian) switched on, the stored token never shown
 * again, "Send a test" reaching the webhook, and the router's SafeThings lookup arriving as the very alert
 * the toast shows. Axe checks the open section.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, expectNoAxeViolations, test } from './fixtures';

const ROUTER = '127.0.0.3';
const TOKEN = 'tk_e2e_5d1c0ffee';

test.use({ serviceArgs: ['--router', ROUTER] });

interface Received {
  readonly path: string;
  readonly auth: string;
  readonly body: string;
}

test('alerts go to a webhook and ntfy with a test button, and the secret stays in the service', async ({
  page,
  service,
}) => {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', auth: req.headers.authorization ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await page.goto(service.url);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const panel = page.getByRole('dialog', { name: 'Settings' });
    const section = panel.getByTestId('alerts-section');
    await expect(section.locator('summary')).toContainText('off');
    await section.locator('summary').click();

    const webhook = section.locator('[data-target="webhook"]');
    const ntfy = section.locator('[data-target="ntfy"]');
    await expect(webhook.getByRole('checkbox')).not.toBeChecked();
    await expect(webhook.getByRole('button', { name: 'Send a test to Webhook' })).toBeDisabled();
    await webhook.getByRole('checkbox').check();
    await webhook.getByLabel('Address').fill(`${base}/hook`);
    await ntfy.getByRole('checkbox').check();
    await ntfy.getByLabel('Topic address').fill('ftp://wrong');
    await ntfy.getByLabel('Access token').fill(TOKEN);
    await section.getByRole('button', { name: 'Save alerts' }).click();
    // Checked in the page first, next to the field.
    await expect(ntfy.getByRole('alert')).toContainText('Use http:// or https://');
    await ntfy.getByLabel('Topic address').fill(`${base}/ntfy/router`);
    await section.getByRole('button', { name: 'Save alerts' }).click();
    await expect(section.getByTestId('alerts-message')).toHaveText(
      'Saved. Watchlist alerts go to webhook, ntfy.',
    );
    // The token is kept by the service and never comes back to the page.
    await expect(ntfy.getByLabel('Access token')).toHaveValue('');
    await expect(ntfy.getByLabel('Access token')).toHaveAttribute('placeholder', 'stored (type to replace)');
    expect(await page.content()).not.toContain(TOKEN);

    await expectNoAxeViolations(page, 'the alerts settings', '[data-testid="alerts-section"]');

    await webhook.getByRole('button', { name: 'Send a test to Webhook' }).click();
    await expect(webhook.getByTestId('alert-test-webhook')).toHaveText(`Sent a test to ${base}/hook.`);
    await expect(webhook.getByTestId('alert-status-webhook')).toContainText('1 sent');
    expect(JSON.parse(got.find((g) => g.path === '/hook')!.body)).toMatchObject({ test: true });

    // The router's first SafeThings lookup: the toast and both targets say the same sentence.
    await page.keyboard.press('Escape');
    await service.query('dfp-dual.safethings.avira.com', { source: ROUTER });
    const toast = page.getByTestId('toast');
    await expect(toast).toContainText(`Your router ${ROUTER} contacted Avira SafeThings`);
    const isReal = (g: Received) =>
      g.path === '/ntfy/router' || (g.path === '/hook' && JSON.parse(g.body).test === false);
    await expect.poll(() => got.filter(isReal).length).toBe(2);
    const real = got.find((g) => g.path === '/hook' && JSON.parse(g.body).test === false)!;
    const message = (JSON.parse(real.body) as { message: string }).message;
    await expect(toast).toContainText(message);
    const pushed = got.find((g) => g.path === '/ntfy/router')!;
    expect(pushed).toMatchObject({ auth: `Bearer ${TOKEN}`, body: message });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
