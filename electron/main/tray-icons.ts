/**
 * The tray icons (rendered from build/icon.svg by scripts/icons.mjs). `?asset` makes electron-vite copy
 * each file next to the built main script and import its absolute path, inside the asar when packaged.
 */
import { readFileSync } from 'node:fs';
import { nativeImage } from 'electron';
import type { NativeImage } from 'electron';
import recording16 from './assets/tray-recording-16.png?asset';
import recording32 from './assets/tray-recording-32.png?asset';
import stopped16 from './assets/tray-stopped-16.png?asset';
import stopped32 from './assets/tray-stopped-32.png?asset';
import type { TrayIcons } from './tray';

/**
 * A 16 px icon with its 32 px version for high-density screens (macOS, Windows); Linux trays get the 32 px
 * image alone and scale it to their panel, which is usually 22–24 px.
 */
function icon(small: string, large: string, platform: NodeJS.Platform): NativeImage {
  if (platform === 'linux') return nativeImage.createFromPath(large);
  const image = nativeImage.createFromPath(small);
  image.addRepresentation({ scaleFactor: 2, buffer: readFileSync(large) });
  return image;
}

/** The tray icons for this platform. Call after the app is ready. */
export function loadTrayIcons(platform: NodeJS.Platform = process.platform): TrayIcons {
  return {
    recording: icon(recording16, recording32, platform),
    stopped: icon(stopped16, stopped32, platform),
  };
}
