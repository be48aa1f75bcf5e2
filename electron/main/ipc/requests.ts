import { BrowserWindow } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import {
  ENGINE_REQUEST_CHANNELS,
  TRANSPORT_REQUEST_CHANNELS,
  type TransportRequestChannel,
} from '@shared/contract';
import { answerRequest, engineRequestHandlers } from '../../engine-api/requests';
import type { EngineHandle } from '../../engine/types';
import { exportCsv } from './export-csv';
import { exportBundle, exportDnstap, exportPcap, exportPng } from './export-evidence';
import { handle, type RequestHandler } from './handle';
import { importFile } from './import-file';

type DesktopHandlers = { readonly [K in TransportRequestChannel]: RequestHandler<K> };

/**
 * The requests the desktop answers itself: each export asks where to save, an import which file to read,
 * attached to the asking window.
 */
function desktopHandlers(engine: EngineHandle): DesktopHandlers {
  const windowOf = (event: IpcMainInvokeEvent): BrowserWindow | null =>
    BrowserWindow.fromWebContents(event.sender);
  return {
    'export:csv': (filter, event) => exportCsv(engine, windowOf(event), filter),
    'export:pcap': (req, event) => exportPcap(engine, windowOf(event), req),
    'export:dnstap': (req, event) => exportDnstap(engine, windowOf(event), req),
    'export:png': (req, event) => exportPng(windowOf(event), req),
    'export:bundle': (req, event) => exportBundle(engine, windowOf(event), req),
    'import:file': (req, event) => importFile(engine, windowOf(event), req),
  };
}

function register<K extends TransportRequestChannel>(channel: K, handlers: DesktopHandlers): void {
  handle(channel, handlers[channel]);
}

/**
 * Registers every request channel of shared/contract.ts: the engine's answers (electron/engine-api) and the
 * desktop's own, each behind handle()'s sender and schema checks.
 */
export function setupRequests(engine: EngineHandle): void {
  const answers = engineRequestHandlers(engine);
  for (const channel of ENGINE_REQUEST_CHANNELS)
    handle(channel, (args) => answerRequest(answers, channel, args));
  const desktop = desktopHandlers(engine);
  for (const channel of TRANSPORT_REQUEST_CHANNELS) register(channel, desktop);
}
