import { BrowserWindow } from 'electron';

/** A report that takes longer than this to print is left out of the bundle rather than holding it up. */
const PRINT_TIMEOUT_MS = 30_000;

/**
 * report.html printed to PDF by Chromium, for the evidence bundle's report.pdf: loaded into a hidden,
 * sandboxed window with JavaScript off (the report has no script and needs none), printed on A4 with its
 * print stylesheet and backgrounds, and closed. Rejects when it cannot print within PRINT_TIMEOUT_MS.
 */
export async function printReportPdf(html: string): Promise<Uint8Array> {
  const win = new BrowserWindow({
    show: false,
    width: 1000,
    height: 1400,
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      webSecurity: true,
      // As in the main window: a middle click must not open anything.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const print = (async () => {
      await win.loadURL(
        `data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`,
      );
      return win.webContents.printToPDF({
        pageSize: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        generateDocumentOutline: true,
      });
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('printing the report timed out')), PRINT_TIMEOUT_MS);
    });
    return new Uint8Array(await Promise.race([print, timeout]));
  } finally {
    clearTimeout(timer);
    if (!win.isDestroyed()) win.destroy();
  }
}
