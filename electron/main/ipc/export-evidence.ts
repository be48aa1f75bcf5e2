import { join } from 'node:path';
import { app, dialog } from 'electron';
import type { BrowserWindow, SaveDialogOptions } from 'electron';
import type { ExportKind, ExportRequest, ExportResult } from '@shared/api';
import type { QueryFilter } from '@shared/events';
import { exportFileName } from '@shared/export-name';
import { writeFileAtomic } from '../../engine/atomic-write';
import type { EngineHandle } from '../../engine/types';
import { printReportPdf } from '../report-pdf';
import { send } from './send';

const DIALOGS: Readonly<Record<Exclude<ExportKind, 'csv'>, { title: string; name: string; ext: string }>> = {
  pcap: { title: 'Export DNS packets as PCAP', name: 'PCAP (Wireshark, tshark)', ext: 'pcap' },
  dnstap: { title: 'Export DNS exchanges as dnstap', name: 'dnstap (Frame Streams)', ext: 'dnstap' },
  png: { title: 'Save the dashboard as PNG', name: 'PNG image', ext: 'png' },
  bundle: { title: 'Export the evidence bundle', name: 'Zip archive', ext: 'zip' },
};

async function askPath(
  win: BrowserWindow | null,
  kind: Exclude<ExportKind, 'csv'>,
  filter: QueryFilter,
): Promise<string | null> {
  const d = DIALOGS[kind];
  const options: SaveDialogOptions = {
    title: d.title,
    defaultPath: join(app.getPath('downloads'), exportFileName(kind, filter, Date.now())),
    filters: [{ name: d.name, extensions: [d.ext] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
  const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  return choice.canceled || !choice.filePath ? null : choice.filePath;
}

/** The window as the user sees it, as PNG bytes (the page shows its evidence strip while this runs). */
async function capture(win: BrowserWindow | null): Promise<Uint8Array | null> {
  if (!win || win.isDestroyed()) return null;
  const image = await win.webContents.capturePage();
  return image.isEmpty() ? null : image.toPNG();
}

/** Asks where to save, then streams what `chunks` yields to that file. */
async function saveStream(
  win: BrowserWindow | null,
  kind: 'pcap' | 'dnstap',
  req: ExportRequest,
  chunks: () => AsyncIterable<Uint8Array>,
): Promise<ExportResult> {
  const path = await askPath(win, kind, req);
  if (path === null) return { saved: false, path: '' };
  await writeFileAtomic(path, async (sink) => {
    for await (const chunk of chunks()) await sink(chunk);
  });
  return { saved: true, path };
}

/** Asks where to save, then streams the filtered exchanges as pcap to that file. */
export function exportPcap(
  engine: EngineHandle,
  win: BrowserWindow | null,
  req: ExportRequest,
): Promise<ExportResult> {
  return saveStream(win, 'pcap', req, () => engine.pcap(req));
}

/** Asks where to save, then streams the filtered exchanges as a dnstap file. */
export function exportDnstap(
  engine: EngineHandle,
  win: BrowserWindow | null,
  req: ExportRequest,
): Promise<ExportResult> {
  return saveStream(win, 'dnstap', req, () => engine.dnstap(req));
}

/** Captures the window first (the strip is showing now), then asks where to save the PNG. */
export async function exportPng(win: BrowserWindow | null, req: ExportRequest): Promise<ExportResult> {
  const png = await capture(win);
  if (png === null) throw new Error('the window could not be captured');
  const path = await askPath(win, 'png', req);
  if (path === null) return { saved: false, path: '' };
  await writeFileAtomic(path, (sink) => sink(png));
  return { saved: true, path };
}

/** Captures the window, asks where to save, then writes the evidence bundle with that PNG. */
export async function exportBundle(
  engine: EngineHandle,
  win: BrowserWindow | null,
  req: ExportRequest,
): Promise<ExportResult> {
  const png = await capture(win);
  const path = await askPath(win, 'bundle', req);
  if (path === null) return { saved: false, path: '' };
  // Only the desktop app can print the report: its bundle holds report.pdf too.
  await writeFileAtomic(path, (sink) => engine.bundle(req, png, sink, { reportPdf: printReportPdf }));
  return { saved: true, path };
}

/** The File menu's PNG and bundle items: the page runs them, so the image shows its filters and strip. */
export function requestExportFromPage(win: BrowserWindow | null, kind: 'png' | 'bundle'): void {
  if (win && !win.isDestroyed()) send(win, 'export:menu', { kind });
}
