/**
 * Electron-only channel names that are not part of the shared request/event contract. Imported by the
 * preload bundle too, so this file must stay free of imports.
 */

/** Renderer → main, fire-and-forget: the page has subscribed, main may start delivering events. */
export const READY_CHANNEL = 'renderer:ready';
