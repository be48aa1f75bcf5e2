/**
 * The first-run setup assistant and the Settings panel in Chromium against the real headless service. A network
 * namespace host plays the router: the service answers DNS on this computer's address on the test LAN, port 53,
 * and knows the host as the router (--router); `dig` inside the namespace is the router's first query.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { reverseName } from '../electron/engine/devices/address';
import { createLab, startHostDnsmasq, type Lab, type LabHost } from '../test/helpers/netns';
import { expect, test as base } from './fixtures';

const test = base.extend<{ routerHost: LabHost }, { lab: Lab }>({
  lab: [
    async ({}, use) => {
      const lab = await createLab([{ name: 'router', mac: 'f4:f2:6d:12:34:56' }]);
      const router = lab.hosts[0]!;
      // The router's own DNS server answers the service's reverse lookup of the router, so that lookup never
      // goes on to this machine's real gateway.
      const dns = await startHostDnsmasq(lab, router, [
        `--ptr-record=${reverseName(router.ipv4)},router.lan`,
      ]);
      await use(lab);
      await dns.stop();
      await lab.destroy();
    },
    { scope: 'worker' },
  ],
  routerHost: async ({ lab }, use) => use(lab.hosts[0]!),
  serviceArgs: async ({ lab }, use) => use(['--listen', `${lab.ipv4}:53`, '--router', lab.hosts[0]!.ipv4]),
});

function assistant(page: Page) {
  return page.getByRole('dialog', { name: 'Set up DNS Witness' });
}

test.describe('first run', () => {
  test.use({ firstRun: true });

  test('the assistant walks from this computer to the router’s first query, and stop shows what to restore', async ({
    page,
    service,
    lab,
    routerHost,
  }) => {
    await page.goto(service.url);
    const dialog = assistant(page);
    await expect(dialog).toBeVisible();

    // 1. This computer: the test LAN address, port 53, answered by DNS Witness.
    const row = dialog.locator(`[data-testid="setup-address"][data-address="${lab.ipv4}"]`);
    await expect(row).toHaveAttribute('data-state', 'listening');
    await expect(row).toContainText(`${lab.ipv4}:53`);
    await expect(row).toContainText('DNS Witness answers here.');
    // Loopback is not an address a router can use.
    await expect(dialog.locator('[data-testid="setup-address"][data-address="127.0.0.1"]')).toHaveCount(0);

    // 2. Self-test: every listener answers through the upstream.
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('button', { name: 'Run the self-test' }).click();
    const results = dialog.getByTestId('self-test-result');
    await expect(results).toHaveCount(2);
    for (const r of await results.all()) await expect(r).toHaveAttribute('data-ok', 'true');
    await expect(results.filter({ hasText: `${lab.ipv4}:53 answered in` })).toHaveCount(1);

    // 3. The router: instructions for the chosen brand, with this computer's address filled in.
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByLabel('Router brand').selectOption('tplink-deco');
    await expect(dialog.getByTestId('guide-wan')).toContainText('More → Advanced → IPv4 → DNS Server');
    await expect(dialog.getByTestId('guide-dhcp')).toContainText('always gives devices its own address');
    await dialog.getByLabel('Router brand').selectOption('tplink-archer');
    const wan = dialog.getByTestId('guide-wan');
    await expect(wan).toContainText('Advanced → Network → Internet');
    await expect(wan).toContainText(`Primary DNS: ${lab.ipv4}. Leave Secondary DNS empty.`);
    await expect(dialog.getByTestId('target-not-ready')).toHaveCount(0);
    await expect(dialog.getByTestId('guide-dhcp')).toContainText('Advanced → Network → DHCP Server');
    await expect(dialog).toContainText('While this computer sleeps or DNS Witness is closed');
    await dialog.getByLabel('I changed the Internet/WAN DNS').check();

    // 4. The live check turns green when the router's first query arrives.
    await dialog.getByRole('button', { name: 'Next' }).click();
    const check = dialog.getByTestId('router-check');
    // The router's addresses: --router, and this machine's own default gateways.
    await expect(check).toContainText(`Waiting for the first query from your router (${routerHost.ipv4}`);
    const dig = await lab.exec(routerHost, 'dig', [
      `@${lab.ipv4}`,
      '+tries=2',
      '+time=2',
      '+short',
      'dfp-dual.safethings.avira.com',
    ]);
    expect(dig.stdout.trim()).toBe('192.0.2.77');
    await expect(check).toHaveClass(/ok/);
    await expect(check).toContainText(`The first query from your router ${routerHost.ipv4} arrived`);

    // 5. What to set back, from what was changed.
    await dialog.getByRole('button', { name: 'Next' }).click();
    const restoreLine =
      'Internet/WAN DNS — TP-Link Archer: Advanced → Network → Internet: set back to “Get Dynamically from ISP”.';
    await expect(dialog.getByTestId('restore-guidance')).toContainText(restoreLine);
    await expect(dialog.getByTestId('restore-guidance')).not.toContainText('DHCP server DNS');
    await dialog.getByRole('button', { name: 'Finish' }).click();
    await expect(dialog).toHaveCount(0);

    // Stopping the capture brings the guidance back.
    await page.getByRole('button', { name: 'Stop capture' }).click();
    const restore = page.getByRole('alertdialog', { name: 'Stop and restore' });
    await expect(restore).toContainText(restoreLine);
    await expect(restore).toContainText('the network has no DNS');
    await restore.getByRole('button', { name: 'Close Stop and restore' }).click();

    // Finished: it stays closed after a reload, and opens from the header.
    const saved = JSON.parse(await readFile(path.join(service.dataDir, 'settings.json'), 'utf8')) as {
      setup: Record<string, unknown>;
    };
    expect(saved.setup).toMatchObject({ brand: 'tplink-archer', wanChanged: true, done: true });
    await page.reload();
    await expect(page.getByTestId('capture-state')).toBeVisible();
    await expect(assistant(page)).toHaveCount(0);
    await page.getByRole('button', { name: 'Setup', exact: true }).click();
    await expect(assistant(page)).toBeVisible();

    // The service prints the same guidance when it quits.
    await service.stop();
    expect(service.output()).toContain(`Set back on your router:\n• ${restoreLine}`);
  });
});

test('Settings refuse invalid values next to the field, say what the command line sets, and save the rest', async ({
  page,
  service,
  routerHost,
}) => {
  await page.goto(service.url);
  await expect(assistant(page)).toHaveCount(0);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const panel = page.getByRole('dialog', { name: 'Settings' });
  const field = (name: string) => panel.locator(`[data-field="${name}"]`);
  await expect(field('listen')).toContainText('Set by --listen on the command line');

  // The page keeps updating (the recording clock ticks every second): typing keeps its focus meanwhile.
  const days = panel.getByLabel('Keep stopped captures (days)');
  await days.fill('3');
  const clock = page.getByTestId('capture-state');
  const before = await clock.innerText();
  await expect(clock).not.toHaveText(before);
  await expect(days).toBeFocused();
  await page.keyboard.type('0');
  await expect(days).toHaveValue('30');

  // Checked in the page before anything is sent.
  await panel.getByLabel('Keep stopped captures (days)').fill('two weeks');
  await panel.getByLabel('Also answer these ranges').fill('10.0.0.0/33');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(field('retentionDays').getByRole('alert')).toHaveText(
    'Enter whole days from 0 (keep forever) to 36500.',
  );
  await expect(field('allow').getByRole('alert')).toHaveText(
    '“10.0.0.0/33” is not an address range, e.g. 203.0.113.0/24.',
  );
  await expect(panel.getByLabel('Keep stopped captures (days)')).toHaveAttribute('aria-invalid', 'true');

  // Checked by the engine: the router cannot be the upstream.
  await panel.getByLabel('Keep stopped captures (days)').fill('7');
  await panel.getByLabel('Also answer these ranges').fill('203.0.113.0/24');
  await panel.getByLabel('Upstream resolvers').fill(routerHost.ipv4);
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(field('upstreams').getByRole('alert')).toContainText(`${routerHost.ipv4} is your router`);
  await expect(field('retentionDays').getByRole('alert')).toHaveCount(0);

  await panel.getByLabel('Upstream resolvers').fill('');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByTestId('settings-message')).toContainText('Saved.');
  await expect(panel.getByTestId('settings-message')).toContainText(
    'Stopped captures older than 7 days are deleted.',
  );
  await expect(panel.getByRole('alert')).toHaveCount(0);
  const saved = JSON.parse(await readFile(path.join(service.dataDir, 'settings.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(saved).toMatchObject({ retentionDays: 7, allow: ['203.0.113.0/24'], upstreams: [] });
  // The forwarder restarted for the new range and still answers.
  expect(await service.query('www.example.test')).toBe('192.0.2.10');

  // Kept across a restart of the service.
  await service.stop();
  await service.start();
  await page.reload();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(panel.getByLabel('Keep stopped captures (days)')).toHaveValue('7');
  await expect(panel.getByLabel('Also answer these ranges')).toHaveValue('203.0.113.0/24');
});
