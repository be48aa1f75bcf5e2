import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '@shared/events';
import { Exporter, REPORT_PDF, type BundleOptions } from './exporter';
import type { EvidenceFacts } from './summary';
import { InstallKeyStore } from './install-key';

const NOW = Date.UTC(2026, 10, 23, 13, 0, 0);

/** An engine with nothing recorded: enough for the bundle's own files. */
function exporter(): Exporter {
  const facts: EvidenceFacts = {
    now: NOW,
    // What the bundle reads of the status; the rest does not matter here.
    status: { version: 'test', listeners: [], upstreams: [], counters: {} } as unknown as EngineStatus,
    captures: [],
    clients: [],
    device: (address) => ({
      address,
      mac: '',
      vendor: '',
      privateMac: false,
      hostname: '',
      name: '',
      isRouter: false,
    }),
    routers: [],
    routerModel: '',
    watch: { windowMs: 0, rules: [], markers: [], effects: [] },
    watchMinutes: [],
  };
  return new Exporter({
    dataDir: '/nonexistent',
    facts: () => facts,
    csv: async function* () {
      yield 'timestamp,client_ip\r\n';
    },
    count: () => 0,
    flush: () => Promise.resolve(),
    installKey: () => keys.get(),
  });
}

const keys = new InstallKeyStore(mkdtempSync(path.join(os.tmpdir(), 'dnsw-exporter-key-')));

async function bundle(opts?: BundleOptions): Promise<Record<string, Uint8Array>> {
  const chunks: Uint8Array[] = [];
  await exporter().bundle({}, null, async (c) => void chunks.push(Uint8Array.from(c)), opts);
  return unzipSync(Buffer.concat(chunks));
}

describe('the evidence bundle', () => {
  it('holds report.pdf printed from the report.html beside it, listed in summary and manifest', async () => {
    const printed: string[] = [];
    const files = await bundle({
      reportPdf: (html) => {
        printed.push(html);
        return Promise.resolve(Uint8Array.from(Buffer.from('%PDF-1.7\n')));
      },
    });
    expect(strFromU8(files[REPORT_PDF]!)).toBe('%PDF-1.7\n');
    expect(printed).toEqual([strFromU8(files['report.html']!)]);
    const summary = JSON.parse(strFromU8(files['summary.json']!)) as { files: string[] };
    expect(summary.files).toContain(REPORT_PDF);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as { files: { name: string }[] };
    expect(manifest.files.map((f) => f.name)).toContain(REPORT_PDF);
  });

  it('leaves report.pdf out, and unlisted, when printing fails or there is no printer', async () => {
    for (const opts of [
      { reportPdf: () => Promise.reject(new Error('no printer')) },
      {},
    ] as BundleOptions[]) {
      const files = await bundle(opts);
      expect(files[REPORT_PDF]).toBeUndefined();
      expect(strFromU8(files['summary.json']!)).not.toContain(REPORT_PDF);
      expect(strFromU8(files['report.html']!)).not.toContain(REPORT_PDF);
    }
  });
});
