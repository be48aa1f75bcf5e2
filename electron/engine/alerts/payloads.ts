/**
 * What an alert says on each target: the toast's title and sentence (the same WatchAlert the dashboard
 * shows), and for MQTT the rate per router and rule as the watchlist panel states it. Pure.
 */
import { ALERT_TITLE } from '@shared/alerts';
import { isoLocal } from '@shared/time';
import { rateIsKnown, rateText, type LookupRate } from '@shared/watch/lookup-rate';
import type { WatchAlert } from '@shared/watch/messages';

/** Who sent it: the app, its version and this computer's name. */
export interface AlertSource {
  readonly version: string;
  readonly host: string;
}

/** The webhook's JSON body (docs/INTEGRATIONS.md), and the MQTT alert message. */
export function alertJson(alert: WatchAlert, source: AlertSource, test: boolean) {
  return {
    event: 'watch-alert',
    test,
    title: ALERT_TITLE,
    message: alert.message,
    rule: alert.rule,
    vendor: alert.vendor,
    integration: alert.integration,
    category: alert.category,
    router: alert.address,
    time: isoLocal(alert.ts),
    ts: alert.ts,
    source: { app: 'DNS Witness', version: source.version, host: source.host },
  };
}

/** The alert a "Send a test" button sends: marked as a test in every field a person reads. */
export function testAlert(now: number): WatchAlert {
  return {
    rule: 'test',
    vendor: '',
    integration: 'a test',
    category: 'vendor-cloud',
    address: '192.0.2.1',
    ts: now,
    message: 'This is a test from DNS Witness: alerts reach this target.',
  };
}

/** ntfy's publish request: the sentence as the body, the toast's title, tags and priority as headers. */
export function ntfyRequest(
  alert: WatchAlert,
  test: boolean,
): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      // ASCII only: header values are Latin-1 on the wire; the sentence goes in the UTF-8 body.
      title: test ? `${ALERT_TITLE} (test)` : ALERT_TITLE,
      tags: test ? 'test_tube,dns-witness' : `warning,dns-witness,${asciiTag(alert.rule)}`,
      priority: test ? '2' : '4',
    },
    body: alert.message,
  };
}

function asciiTag(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
}

/** The retained state of one (router, rule) sensor: the daily rate (null: too early to tell) and its words. */
export function rateState(rule: string, router: string, rate: LookupRate) {
  const known = rateIsKnown(rate);
  return {
    rule,
    router,
    per_day: known ? Math.round(rate.perDay) : null,
    per_hour: known ? Math.round(rate.perHour * 10) / 10 : null,
    lookups: rate.count,
    span_s: Math.round(rate.spanMs / 1000),
    text: rateText(rate),
  };
}
