// Where the headless service will serve its dashboard, read from its command line without starting it.

const DEFAULT_UI = '127.0.0.1:5380';

/** The dashboard URL the headless service will use for these flags (its --ui option); null if unclear. */
export function dashboardUrl(args) {
  let ui = DEFAULT_UI;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--ui' && i + 1 < args.length) ui = args[i + 1];
    else if (args[i].startsWith('--ui=')) ui = args[i].slice('--ui='.length);
  }
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(ui) ?? /^([0-9.]+)(?::(\d{1,5}))?$/.exec(ui);
  const host = m?.[1] ?? (/^[0-9A-Fa-f:]+$/.test(ui) && ui.includes(':') ? ui : null);
  if (host === null) return null;
  const port = m?.[2] ?? '5380';
  // A wildcard bind is reached through loopback on this computer.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}
