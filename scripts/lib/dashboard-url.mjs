// Where the headless service will serve its dashboard, read from its command line without starting it.
// Plain JavaScript shared with the TypeScript sources, so this needs no build to parse --ui.
import { parseHostPort } from '../../shared/host-port.js';

const DEFAULT_UI = '127.0.0.1:5380';

/** The dashboard URL the headless service will use for these flags (its --ui option); null if unclear. */
export function dashboardUrl(args) {
  let ui = DEFAULT_UI;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--ui' && i + 1 < args.length) ui = args[i + 1];
    else if (args[i].startsWith('--ui=')) ui = args[i].slice('--ui='.length);
  }
  const hp = parseHostPort(ui, 5380, true);
  if (hp === null) return null;
  const { host, port } = hp;
  // A wildcard bind is reached through loopback on this computer.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  // RFC 6874: a zone id in a URL is written after "%25".
  return `http://${shown.includes(':') ? `[${shown.replace('%', '%25')}]` : shown}:${port}/`;
}
