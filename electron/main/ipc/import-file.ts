import { basename } from 'node:path';
import { dialog } from 'electron';
import type { BrowserWindow, OpenDialogOptions } from 'electron';
import type { ImportRequest, ImportStarted } from '@shared/import';
import type { EngineHandle } from '../../engine/types';

/**
 * Asks for the file to import (the OS open dialog, attached to the asking window), then has the engine read
 * it in a worker thread. Only a file the user chose here is read: the page names none.
 */
export async function importFile(
  engine: EngineHandle,
  win: BrowserWindow | null,
  req: ImportRequest,
): Promise<ImportStarted> {
  const options: OpenDialogOptions = {
    title: 'Import DNS history',
    properties: ['openFile'],
    filters: [
      {
        name: 'DNS logs and packet captures',
        extensions: ['json', '1', 'log', 'txt', 'pcap', 'pcapng', 'cap', 'dnstap', 'fstrm', 'db'],
      },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const choice = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const path = choice.filePaths[0];
  if (choice.canceled || path === undefined) return null;
  engine.startImport({ ...req, path, fileName: basename(path), temporary: false });
  return { id: req.id };
}
