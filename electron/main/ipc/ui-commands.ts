import type { BrowserWindow } from 'electron';
import type { UiCommand } from '@shared/api';
import { send } from './send';

/** Asks `win`'s page to do `command` (a menu item or shortcut that acts inside the page). Never throws. */
export function sendUiCommand(win: BrowserWindow | null, command: UiCommand['command']): void {
  if (win === null) return;
  send(win, 'ui:command', { command });
}
