// ADDR[:PORT] parsing for the flags, the Settings form and scripts/start.mjs: one parser, written as plain
// JavaScript (typed by host-port.d.ts) so the .mjs scripts can import it without a build. Pure: no Node, no DOM.

// The same grammar as Node's net.isIP (lib/internal/net.js), zone ids ("fe80::1%eth0") included, so the
// form accepts exactly what the engine can bind.
const v4Seg = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const v4Str = `(?:${v4Seg}\\.){3}${v4Seg}`;
const IPV4 = new RegExp(`^${v4Str}$`);
const v6Seg = '(?:[0-9a-fA-F]{1,4})';
const IPV6 = new RegExp(
  '^(?:' +
    `(?:${v6Seg}:){7}(?:${v6Seg}|:)|` +
    `(?:${v6Seg}:){6}(?:${v4Str}|:${v6Seg}|:)|` +
    `(?:${v6Seg}:){5}(?::${v4Str}|(?::${v6Seg}){1,2}|:)|` +
    `(?:${v6Seg}:){4}(?:(?::${v6Seg}){0,1}:${v4Str}|(?::${v6Seg}){1,3}|:)|` +
    `(?:${v6Seg}:){3}(?:(?::${v6Seg}){0,2}:${v4Str}|(?::${v6Seg}){1,4}|:)|` +
    `(?:${v6Seg}:){2}(?:(?::${v6Seg}){0,3}:${v4Str}|(?::${v6Seg}){1,5}|:)|` +
    `(?:${v6Seg}:){1}(?:(?::${v6Seg}){0,4}:${v4Str}|(?::${v6Seg}){1,6}|:)|` +
    `(?::(?:(?::${v6Seg}){0,5}:${v4Str}|(?::${v6Seg}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/** 4 or 6 for an IP address literal (IPv6 with an optional zone id), else 0. Never throws. */
export function ipFamily(text) {
  if (IPV4.test(text)) return 4;
  if (IPV6.test(text)) return 6;
  return 0;
}

/**
 * "1.1.1.1", "1.1.1.1:5353", "[2606:4700::1111]:53", "::1", "fe80::1%eth0" → host and port; null when it
 * does not parse (host names included). Port 0 ("pick a free port") only when `allowZeroPort`. Never throws.
 */
export function parseHostPort(text, defaultPort, allowZeroPort = false) {
  const t = text.trim();
  let host;
  let portText;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (ipFamily(t) === 6) {
    host = t;
  } else {
    const colon = t.lastIndexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    portText = colon < 0 ? undefined : t.slice(colon + 1);
  }
  if (ipFamily(host) === 0) return null;
  if (portText !== undefined && !/^\d{1,5}$/.test(portText)) return null;
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port > 65535 || port < 0 || (port === 0 && !allowZeroPort)) return null;
  return { host, port };
}
