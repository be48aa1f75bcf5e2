import { describe, expect, it } from 'vitest';
import { putOthersBehind, type ThreadPriorityDeps } from './thread-priority';

/** Threads with nice values; tid 1 is this (the DNS) thread. */
function fake(nices: Record<number, number>, over: Partial<ThreadPriorityDeps> = {}) {
  const set: [number, number][] = [];
  const deps: ThreadPriorityDeps = {
    platform: 'linux',
    ownThread: () => 1,
    threads: () => Object.keys(nices).map(Number),
    getPriority: (tid) => {
      if (!(tid in nices)) throw new Error('ESRCH');
      return nices[tid]!;
    },
    setPriority: (tid, nice) => {
      set.push([tid, nice]);
      nices[tid] = nice;
    },
    ...over,
  };
  return { deps, set, nices };
}

describe('putOthersBehind', () => {
  it('lowers every other thread ten steps below this one, and leaves this one be', () => {
    const f = fake({ 1: 0, 2: 0, 3: 0, 4: 15 });
    expect(putOthersBehind(f.deps)).toEqual({ own: 0, others: 10, lowered: 2 });
    expect(f.nices).toEqual({ 1: 0, 2: 10, 3: 10, 4: 15 });
    // Called again (a thread made since), only what is still ahead is lowered.
    f.nices[5] = 0;
    expect(putOthersBehind(f.deps)).toEqual({ own: 0, others: 10, lowered: 1 });
    expect(f.set).toEqual([
      [2, 10],
      [3, 10],
      [5, 10],
    ]);
  });

  it('makes room below a restarted thread that inherited the lowered nice, down to 19', () => {
    const f = fake({ 1: 10, 2: 10, 3: 10 });
    expect(putOthersBehind(f.deps)).toEqual({ own: 10, others: 19, lowered: 2 });
    expect(f.nices).toEqual({ 1: 10, 2: 19, 3: 19 });
  });

  it('skips a thread that exits meanwhile or refuses, and does nothing off Linux', () => {
    const f = fake({ 1: 0, 2: 0 }, { threads: () => [1, 2, 99] });
    expect(putOthersBehind(f.deps)).toEqual({ own: 0, others: 10, lowered: 1 });
    expect(putOthersBehind(fake({ 1: 0, 2: 0 }, { platform: 'darwin' }).deps)).toBeNull();
    const noProc = fake(
      { 1: 0 },
      {
        ownThread: () => {
          throw new Error('ENOENT /proc/thread-self');
        },
      },
    );
    expect(putOthersBehind(noProc.deps)).toBeNull();
  });
});
