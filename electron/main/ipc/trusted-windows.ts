import type { BrowserWindow, WebContents, WebFrameMain } from 'electron';
import { isAppUrl } from '../app-origin';

const trusted = new Set<WebContents>();
/** The renderer's dev server origin under `npm run dev` (see devServerOrigin()); null otherwise. */
let devServer: string | null = null;

/** Trusts frames on `origin` (from devServerOrigin()) as much as app://dns-witness; null trusts none. */
export function trustDevServer(origin: string | null): void {
  devServer = origin;
}

/** Marks `win` as one of ours: IPC from its top frame is accepted until its contents are destroyed. */
export function trustWindow(win: BrowserWindow): void {
  const contents = win.webContents;
  trusted.add(contents);
  contents.once('destroyed', () => trusted.delete(contents));
}

/** The part of an IPC event the trust check reads. */
export interface SenderInfo {
  readonly sender: WebContents;
  readonly senderFrame: WebFrameMain | null;
}

/**
 * True only for messages from the top frame of one of our windows while it shows app://dns-witness (or the
 * dev server given to trustDevServer()).
 * Never throws. A frame that navigated elsewhere (or an iframe) is refused even inside our window.
 */
export function isTrustedSender(event: SenderInfo): boolean {
  if (!trusted.has(event.sender)) return false;
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  return isAppUrl(frame.url, devServer);
}
