import { join } from 'node:path';
import { app, dialog } from 'electron';
import type { BrowserWindow, SaveDialogOptions } from 'electron';
import type { ExportResult } from '@shared/api';
import type { QueryFilter } from '@shared/events';
import { exportFileName } from '@shared/export-name';
import { writeFileAtomic } from '../../engine/atomic-write';
import type { EngineHandle } from '../../engine/types';

/**
 * Streams `chunks` to `path` through writeFileAtomic, so a failed export never leaves a truncated file or
 * clobbers an existing one. Rejects on I/O errors.
 */
export async function writeCsvFile(path: string, chunks: AsyncIterable<string>): Promise<void> {
  await writeFileAtomic(path, async (sink) => {
    for await (const chunk of chunks) await sink(chunk);
  });
}

/**
 * Asks where to save (the OS dialog confirms replacing an existing file), then writes the filtered
 * queries as CSV. The chosen path is used exactly as returned: changing it would skip that confirmation.
 */
export async function exportCsv(
  engine: EngineHandle,
  win: BrowserWindow | null,
  filter: QueryFilter,
): Promise<ExportResult> {
  const options: SaveDialogOptions = {
    title: 'Export queries as CSV',
    defaultPath: join(app.getPath('downloads'), exportFileName('csv', filter, Date.now())),
    filters: [{ name: 'CSV', extensions: ['csv'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
  const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (choice.canceled || !choice.filePath) return { saved: false, path: '' };
  await writeCsvFile(choice.filePath, engine.csv(filter));
  return { saved: true, path: choice.filePath };
}
