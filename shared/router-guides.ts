/**
 * Where each router brand keeps its two DNS settings, as the vendors' current admin pages (or app) name them:
 * the Internet/WAN DNS (the router's own queries, the ones HomeShield-style services make) and the DHCP server's
 * DNS (what every device is told to use). Menu names vary a little between firmware versions; the paths below
 * are those of the current web interfaces. `restoreSteps` turns what the user changed into what to set back.
 */

export const ROUTER_BRAND_IDS = ['tplink-archer', 'tplink-deco', 'asus', 'netgear', 'generic'] as const;
export type RouterBrand = (typeof ROUTER_BRAND_IDS)[number];

/** One of the two settings on one brand. */
export interface RouterSettingGuide {
  /** Menu path, each level as the interface labels it. */
  readonly path: readonly string[];
  /** What to do at the end of the path, with {ADDR} for this computer's address. */
  readonly steps: readonly string[];
  /** What to choose to undo it (the factory value). */
  readonly restore: string;
  /** Where the brand hides it, or why it does not exist; "" when nothing to add. */
  readonly note: string;
}

export interface RouterGuide {
  readonly id: RouterBrand;
  readonly name: string;
  /** Where the admin interface is. */
  readonly open: string;
  readonly wan: RouterSettingGuide;
  /** null when the brand has no DHCP DNS setting (devices always get the router, which then forwards to us). */
  readonly dhcp: RouterSettingGuide | null;
}

export const ROUTER_BRANDS: readonly RouterGuide[] = [
  {
    id: 'tplink-archer',
    name: 'TP-Link Archer',
    open: 'Open http://tplinkwifi.net (or the router’s address, e.g. http://192.168.0.1) and log in.',
    wan: {
      path: ['Advanced', 'Network', 'Internet'],
      steps: [
        'Under your connection (e.g. Dynamic IP), click “Advanced” to show the hidden settings.',
        'At “DNS Address” choose “Use the Following DNS Addresses”.',
        'Primary DNS: {ADDR}. Leave Secondary DNS empty.',
        'Click Save.',
      ],
      restore: '“Get Dynamically from ISP”',
      note: 'The DNS fields are hidden under the “Advanced” link of the Internet page.',
    },
    dhcp: {
      path: ['Advanced', 'Network', 'DHCP Server'],
      steps: ['Primary DNS: {ADDR}. Leave Secondary DNS empty.', 'Click Save.'],
      restore: 'empty Primary and Secondary DNS (the router itself)',
      note: 'Devices pick up the change when their lease renews; reconnecting Wi-Fi forces it.',
    },
  },
  {
    id: 'tplink-deco',
    name: 'TP-Link Deco',
    open: 'Open the Deco app on your phone (Deco has no full web interface).',
    wan: {
      path: ['More', 'Advanced', 'IPv4', 'DNS Server'],
      steps: ['Choose “Custom”.', 'Primary DNS: {ADDR}. Leave Secondary DNS empty.', 'Tap Save.'],
      restore: '“Auto”',
      note: 'Only in the Deco app, under More → Advanced → IPv4, not on the app’s home screen.',
    },
    dhcp: null,
  },
  {
    id: 'asus',
    name: 'ASUS',
    open: 'Open http://www.asusrouter.com (or the router’s address, e.g. http://192.168.50.1) and log in.',
    wan: {
      path: ['Advanced Settings', 'WAN', 'Internet Connection'],
      steps: [
        'In “WAN DNS Setting” set “Connect to DNS Server automatically” to No (newer firmware: click “Assign” next to DNS Server).',
        'DNS Server1: {ADDR}. Leave DNS Server2 empty.',
        'Click Apply.',
      ],
      restore: '“Connect to DNS Server automatically: Yes” (newer firmware: remove the assigned servers)',
      note: 'The DNS fields are in the “WAN DNS Setting” section further down the Internet Connection page.',
    },
    dhcp: {
      path: ['Advanced Settings', 'LAN', 'DHCP Server'],
      steps: [
        'In “DNS and WINS Server Setting”: DNS Server 1: {ADDR}.',
        'Set “Advertise router’s IP in addition to user-specified DNS” to No, otherwise devices also ask the router.',
        'Click Apply.',
      ],
      restore: 'empty DNS Server 1 and “Advertise router’s IP …” back to Yes',
      note: '',
    },
  },
  {
    id: 'netgear',
    name: 'NETGEAR',
    open: 'Open http://routerlogin.net and log in.',
    wan: {
      path: ['BASIC', 'Internet'],
      steps: [
        'At “Domain Name Server (DNS) Address” choose “Use These DNS Servers”.',
        'Primary DNS: {ADDR}. Leave Secondary DNS empty.',
        'Click Apply.',
      ],
      restore: '“Get Automatically from ISP”',
      note: 'On newer Nighthawk interfaces the same page is Settings → Internet Setup.',
    },
    dhcp: null,
  },
  {
    id: 'generic',
    name: 'Another router',
    open: 'Open the router’s admin page (its address is usually on a label underneath, e.g. http://192.168.1.1).',
    wan: {
      path: ['Internet (or WAN)', 'DNS'],
      steps: [
        'Look in the Internet/WAN settings, often in an “Advanced” section of the connection, for DNS.',
        'Switch from automatic to manual DNS; Primary DNS: {ADDR}; leave the secondary empty.',
        'Save or apply.',
      ],
      restore: 'automatic DNS (from the provider)',
      note: 'Many routers keep this under the connection type (Dynamic IP, PPPoE) behind an “Advanced” link.',
    },
    dhcp: {
      path: ['LAN (or Local Network)', 'DHCP Server', 'DNS'],
      steps: [
        'In the DHCP server settings set the primary DNS to {ADDR}; leave the secondary empty.',
        'Save or apply. Devices pick it up when their lease renews.',
      ],
      restore: 'an empty DNS field (the router itself)',
      note: 'Some routers have no such field and always give devices their own address.',
    },
  },
];

/** What a brand without a DHCP DNS setting does, shown in its place. */
export const NO_DHCP_DNS =
  'This router always gives devices its own address as DNS and forwards their queries to its Internet/WAN DNS: with that pointed at this computer, devices’ queries arrive too, but all appear as the router’s.';

/** The guide for `id`; the generic one for anything else. */
export function routerGuide(id: string): RouterGuide {
  return ROUTER_BRANDS.find((b) => b.id === id) ?? ROUTER_BRANDS[ROUTER_BRANDS.length - 1]!;
}

/** "Advanced → Network → Internet". */
export function menuPath(path: readonly string[]): string {
  return path.join(' → ');
}

/** The steps with this computer's address filled in. */
export function fillSteps(steps: readonly string[], address: string): string[] {
  return steps.map((s) => s.replaceAll('{ADDR}', address));
}

/** What the user changed (see SetupProgress), the parts restoreSteps needs. */
export interface RouterChanges {
  readonly brand: RouterBrand | '';
  readonly wanChanged: boolean;
  readonly dhcpChanged: boolean;
  readonly previousWan: string;
  readonly previousDhcp: string;
}

/**
 * The exact settings to set back, one line each ("TP-Link Archer: Advanced → Network → Internet → DNS Address:
 * set back to …"). When the user did not say what they changed, both settings are listed, so nothing is missed.
 */
export function restoreSteps(c: RouterChanges): string[] {
  const guide = routerGuide(c.brand);
  const unknown = !c.wanChanged && !c.dhcpChanged;
  const lines: string[] = [];
  if (c.wanChanged || unknown) {
    const back = c.previousWan ? `“${c.previousWan}” (as it was)` : guide.wan.restore;
    lines.push(`Internet/WAN DNS — ${guide.name}: ${menuPath(guide.wan.path)}: set back to ${back}.`);
  }
  if ((c.dhcpChanged || unknown) && guide.dhcp) {
    const back = c.previousDhcp ? `“${c.previousDhcp}” (as it was)` : guide.dhcp.restore;
    lines.push(`DHCP server DNS — ${guide.name}: ${menuPath(guide.dhcp.path)}: set back to ${back}.`);
  }
  if (c.dhcpChanged) lines.push('Then reconnect devices (or wait for their DHCP lease to renew).');
  return lines;
}

/** Why restoring matters, shown with the steps. */
export const RESTORE_WARNING =
  'While this computer sleeps or DNS Witness is closed, the network has no DNS: web pages and apps stop working on every device that uses it.';

/** The restore guidance as plain text (for a dialog or a terminal): the warning and one step per line. */
export function restoreText(c: RouterChanges): string {
  return [RESTORE_WARNING, 'Set back on your router:', ...restoreSteps(c).map((s) => `• ${s}`)].join('\n');
}
