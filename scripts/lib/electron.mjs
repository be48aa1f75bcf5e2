// Where the Electron runtime is, found without require('electron') (which would try to download it).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './build.mjs';

/**
 * The Electron executable and the folder it was unpacked in, or `{ missing }` with the reason when it is
 * not installed. Reads node_modules/electron/path.txt and honours ELECTRON_OVERRIDE_DIST_PATH, as the
 * electron package does.
 */
export function findElectron() {
  const pkg = path.join(root, 'node_modules', 'electron');
  let name = '';
  try {
    name = readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    // No path.txt: the runtime was never downloaded.
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!override && !name) return { missing: 'node_modules/electron/path.txt is absent' };
  const dist = override || path.join(pkg, 'dist');
  const executable = path.join(dist, name || 'electron');
  if (!existsSync(executable))
    return { missing: `${path.relative(root, executable) || executable} is absent` };
  return { executable, dist };
}
