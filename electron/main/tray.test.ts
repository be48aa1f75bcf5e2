import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CAPTURE, statusAt } from './testing/fake-engine';
import { FakeTray } from './testing/fake-electron';
import {
  createStatusTray,
  TRAY_UPDATE_MS,
  trayMenuTemplate,
  trayState,
  trayStateText,
  trayTooltip,
  type TrayClock,
} from './tray';

vi.mock('electron', () => import('./testing/fake-electron'));

const icons = {
  recording: { name: 'recording' } as unknown as NativeImage,
  stopped: { name: 'stopped' } as unknown as NativeImage,
};

/** A clock that moves only when told, with the one pending timer the tray may set. */
function manualClock() {
  let now = 10_000;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 1;
  const clock: TrayClock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      timers.set(next, { at: now + ms, callback });
      return next++;
    },
    clearTimeout: (handle) => timers.delete(handle as number),
  };
  const advance = (ms: number): void => {
    now += ms;
    for (const [id, t] of [...timers]) {
      if (t.at > now) continue;
      timers.delete(id);
      t.callback();
    }
  };
  return { clock, advance, pending: () => timers.size };
}

function actions() {
  return { show: vi.fn(), startCapture: vi.fn(), stopCapture: vi.fn(), quit: vi.fn() };
}

function menuOf(tray: FakeTray): MenuItemConstructorOptions[] {
  return tray.menu?.template ?? [];
}

function click(items: MenuItemConstructorOptions[], label: string): void {
  const item = items.find((i) => i.label === label);
  expect(item, label).toBeDefined();
  (item?.click as () => void)();
}

beforeEach(() => {
  FakeTray.created.length = 0;
  FakeTray.refuse = false;
});

describe('tray text', () => {
  it('says whether it records and how many queries, in words', () => {
    expect(trayStateText({ recording: true, queries: 1234 })).toBe('Recording · 1,234 queries');
    expect(trayStateText({ recording: true, queries: 1 })).toBe('Recording · 1 query');
    expect(trayStateText({ recording: false, queries: 0 })).toBe('Stopped · 0 queries recorded');
    expect(trayTooltip({ recording: false, queries: 86_400 })).toBe(
      'DNS Witness — Stopped · 86,400 queries recorded',
    );
  });

  it('reads the state from the engine status', () => {
    expect(trayState(statusAt(1))).toEqual({ recording: true, queries: CAPTURE.queries });
    expect(trayState({ capture: { ...CAPTURE, state: 'stopped', queries: 7 } })).toEqual({
      recording: false,
      queries: 7,
    });
    expect(trayState({ capture: null })).toEqual({ recording: false, queries: 0 });
  });

  it('offers show, start or stop, and quit in the menu', () => {
    const a = actions();
    const recording = trayMenuTemplate(true, a);
    expect(recording.map((i) => i.label ?? i.type)).toEqual([
      'Recording',
      'separator',
      'Show DNS Witness',
      'Stop Capture',
      'separator',
      'Quit DNS Witness',
    ]);
    expect(recording[0]?.enabled).toBe(false);
    click(recording, 'Show DNS Witness');
    click(recording, 'Stop Capture');
    click(recording, 'Quit DNS Witness');
    click(trayMenuTemplate(false, a), 'Start Capture');
    expect([a.show, a.stopCapture, a.quit, a.startCapture].map((f) => f.mock.calls.length)).toEqual([
      1, 1, 1, 1,
    ]);
  });
});

describe('StatusTray', () => {
  it('changes the tooltip at most once a second, catching up with the latest count', () => {
    const { clock, advance, pending } = manualClock();
    const status = createStatusTray(
      icons,
      actions(),
      { recording: true, queries: 0 },
      { clock, platform: 'linux' },
    );
    const tray = FakeTray.created[0] as FakeTray;
    expect(status?.tray).toBe(tray);
    expect(tray.tooltips).toEqual(['DNS Witness — Recording · 0 queries']);
    expect(tray.image).toBe(icons.recording);

    // Ten updates within 900 ms: none shown yet, then only the last one once the second is over.
    for (let i = 1; i <= 10; i++) {
      advance(90);
      status?.update({ recording: true, queries: i * 10 });
    }
    expect(tray.tooltips).toHaveLength(1);
    expect(pending()).toBe(1);
    advance(TRAY_UPDATE_MS);
    expect(tray.tooltips).toEqual([
      'DNS Witness — Recording · 0 queries',
      'DNS Witness — Recording · 100 queries',
    ]);
    expect(pending()).toBe(0);

    // A second later an update shows at once.
    advance(TRAY_UPDATE_MS);
    status?.update({ recording: true, queries: 150 });
    expect(tray.tooltip).toBe('DNS Witness — Recording · 150 queries');
    expect(tray.tooltips).toHaveLength(3);
  });

  it('shows a start or stop at once, with the icon and the menu to match', () => {
    const { clock, advance } = manualClock();
    const a = actions();
    const status = createStatusTray(icons, a, { recording: true, queries: 5 }, { clock, platform: 'linux' });
    const tray = FakeTray.created[0] as FakeTray;
    const firstMenu = tray.menu;
    advance(10);
    status?.update({ recording: true, queries: 6 });
    expect(tray.menu, 'no new menu for a new count').toBe(firstMenu);
    status?.update({ recording: false, queries: 6 });
    expect(tray.tooltip).toBe('DNS Witness — Stopped · 6 queries recorded');
    expect(tray.image).toBe(icons.stopped);
    click(menuOf(tray), 'Start Capture');
    expect(a.startCapture).toHaveBeenCalledTimes(1);
    // The count that was waiting is not shown over the newer state afterwards.
    advance(TRAY_UPDATE_MS);
    expect(tray.tooltip).toBe('DNS Witness — Stopped · 6 queries recorded');
    tray.emit('click');
    expect(a.show).toHaveBeenCalledTimes(1);
    status?.destroy();
    expect(tray.isDestroyed()).toBe(true);
    status?.update({ recording: true, queries: 7 });
    expect(tray.image).toBe(icons.stopped);
  });

  it('puts the count beside the icon in the macOS menu bar while recording', () => {
    const { clock } = manualClock();
    const status = createStatusTray(
      icons,
      actions(),
      { recording: true, queries: 4321 },
      { clock, platform: 'darwin' },
    );
    const tray = FakeTray.created[0] as FakeTray;
    expect(tray.title).toBe('4,321');
    status?.update({ recording: false, queries: 4321 });
    expect(tray.title).toBe('');
  });

  it('is null where the system refuses a tray icon', () => {
    FakeTray.refuse = true;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(createStatusTray(icons, actions(), { recording: true, queries: 0 })).toBeNull();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
