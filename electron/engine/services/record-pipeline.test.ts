import { describe, expect, it } from 'vitest';
import type { ExchangeRecord } from '../capture';
import { RecordPipeline } from './record-pipeline';
import { rec } from './test-support';

/** A pipeline of fakes that log each step; `selfTest` and `ownLookup` say what the first two steps claim. */
function pipeline(claims: { selfTest?: boolean; ownLookup?: boolean } = {}) {
  const steps: string[] = [];
  let recording = false;
  const p = new RecordPipeline(
    { claim: () => (steps.push('setup'), claims.selfTest === true) },
    {
      isOwnLookup: () => (steps.push('own-lookup?'), claims.ownLookup === true),
      observe: () => void steps.push('devices'),
    },
    {
      record: () => {
        steps.push('capture');
        recording = true;
      },
      get isRecording() {
        return recording;
      },
    },
    { record: (_r: ExchangeRecord, rec: boolean) => void steps.push(`watchlist recording=${rec}`) },
  );
  return { p, steps };
}

describe('RecordPipeline', () => {
  it('hands an ordinary exchange to setup, devices, capture, devices and watchlist in that order', () => {
    const { p, steps } = pipeline();
    p.record(rec());
    // The watchlist reads the recording state after the capture took the record.
    expect(steps).toEqual(['setup', 'own-lookup?', 'capture', 'devices', 'watchlist recording=true']);
  });

  it('stops at setup for our self-test: not captured, not a device, not watched', () => {
    const { p, steps } = pipeline({ selfTest: true });
    p.record(rec());
    expect(steps).toEqual(['setup']);
  });

  it('stops after setup for our own reverse lookup echoed by the router: heard, but not the router’s traffic', () => {
    const { p, steps } = pipeline({ ownLookup: true });
    p.record(rec({ qtype: 'PTR' }));
    expect(steps).toEqual(['setup', 'own-lookup?']);
  });

  it('captures an echo of our own reverse lookup the DNS thread already journaled, and goes no further', () => {
    const { p, steps } = pipeline({ ownLookup: true });
    p.record(rec({ qtype: 'PTR', journaled: { journal: 1, seq: 7, time: '', offset: 0 } }));
    // The capture shows what its journal holds; the router is still not credited with it.
    expect(steps).toEqual(['setup', 'own-lookup?', 'capture']);
  });
});
