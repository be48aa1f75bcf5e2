import { describe, expect, it } from 'vitest';
import { NO_PROGRESS, type SetupProgress } from '@shared/setup';
import { SetupService } from './setup';
import { rec } from './test-support';

const ROUTER = '192.168.0.1';

function service(progress: SetupProgress = NO_PROGRESS) {
  return new SetupService({
    settings: { saved: true, settings: { values: {}, progress, theme: 'system' }, save: async () => {} },
    devices: { get: (a) => ({ isRouter: a === ROUTER }), routerAddresses: () => [ROUTER] },
    capture: { isRecording: false },
    forwarder: () => ({ listenerStatus: () => [], listenerFailures: () => [] }),
    listen: () => [],
  });
}

describe('SetupService', () => {
  it('finds the router’s latest query since `since`, whether or not a capture runs', async () => {
    const setup = service();
    const t0 = rec().ts;
    expect(setup.claim(rec({ client: ROUTER, ts: t0 }))).toBe(false);
    expect(setup.claim(rec({ client: '192.168.0.23', ts: t0 + 5 }))).toBe(false);
    expect((await setup.state(t0 - 1, false)).routerQuery).toEqual({ address: ROUTER, ts: t0 });
    expect((await setup.state(t0 + 1, false)).routerQuery).toBeNull();
  });

  it('gives restore guidance once the router was heard or a change was noted, else ""', () => {
    const quiet = service();
    quiet.claim(rec());
    expect(quiet.restoreGuidance()).toBe('');
    quiet.claim(rec({ client: ROUTER }));
    expect(quiet.restoreGuidance()).toMatch(/Set back on your router:/);
    expect(service({ ...NO_PROGRESS, dhcpChanged: true }).restoreGuidance()).toMatch(/Set back/);
  });
});
