import type { ExchangeRecord, ExchangeSink } from '../capture';
import type { CaptureService } from './capture';
import type { DeviceService } from './devices';
import type { DnstapService } from './dnstap';
import type { AlertsService } from './alerts';
import type { MetricsService } from './metrics';
import type { SetupService } from './setup';
import type { WatchlistService } from './watchlist';

/**
 * The forwarder's sink: hands each finished exchange to the services in turn. Runs once per query, so it
 * allocates nothing and calls each step directly.
 */
export class RecordPipeline implements ExchangeSink {
  constructor(
    private readonly setup: Pick<SetupService, 'claim'>,
    private readonly devices: Pick<DeviceService, 'isOwnLookup' | 'observe'>,
    private readonly capture: Pick<CaptureService, 'record' | 'isRecording'>,
    private readonly watchlist: Pick<WatchlistService, 'record'>,
    private readonly dnstap: Pick<DnstapService, 'record'> = { record: () => undefined },
    private readonly metrics: Pick<MetricsService, 'record'> = { record: () => undefined },
    private readonly alerts: Pick<AlertsService, 'record'> = { record: () => undefined },
  ) {}

  record(rec: ExchangeRecord): void {
    // Our self-test is answered but is not the user's traffic; every other client counts as heard.
    if (this.setup.claim(rec)) return;
    // Our own reverse lookup, echoed to us by a router that uses this computer, is not the router's. One the
    // DNS thread already journaled stays in the capture, so that the capture shows what its journal holds.
    const own = this.devices.isOwnLookup(rec);
    if (own && rec.journaled === undefined) return;
    this.capture.record(rec);
    if (own) return;
    this.devices.observe(rec);
    this.watchlist.record(rec, this.capture.isRecording);
    this.metrics.record(rec, this.capture.isRecording);
    this.alerts.record(rec);
    // Whether or not a capture records: dnstap readers get every exchange (queued; encoded later).
    this.dnstap.record(rec);
  }
}
