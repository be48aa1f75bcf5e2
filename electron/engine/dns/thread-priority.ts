import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Nice steps between the DNS thread and every other thread of the process. At +10 a thread weighs about a
 * ninth of one at 0 in Linux's scheduler: when the API, an export and the garbage collector's helpers want
 * both cores, the DNS thread still runs as soon as a query wakes it.
 */
export const PRIORITY_GAP = 10;
/** The lowest priority there is (the highest nice value). */
const LOWEST = 19;

export interface ThreadPriorityDeps {
  readonly platform: NodeJS.Platform;
  /** This thread's id, from /proc/thread-self ("PID/task/TID"). */
  readonly ownThread: () => number;
  /** The ids of every thread of this process (/proc/self/task). */
  readonly threads: () => number[];
  readonly getPriority: (tid: number) => number;
  readonly setPriority: (tid: number, nice: number) => void;
}

const linuxDeps: ThreadPriorityDeps = {
  platform: process.platform,
  ownThread: () => Number(readlinkSync('/proc/thread-self').split('/').pop()),
  threads: () => readdirSync('/proc/self/task').map(Number),
  getPriority,
  setPriority,
};

/** What putOthersBehind did: this thread's nice, the others' target, how many it lowered. */
export interface PriorityResult {
  readonly own: number;
  readonly others: number;
  readonly lowered: number;
}

/**
 * Called on the DNS thread: lowers every other thread of the process to PRIORITY_GAP nice steps below this
 * one (a thread already lower stays as it is). Only lowering is allowed without privileges, so it is done
 * from here, and it holds for threads created later by a lowered thread (they inherit its nice); a DNS
 * thread restarted after a crash inherits the main thread's nice, and the others go lower still, up to 19.
 * Linux only: there nice is a property of each thread (setpriority(2), NOTES); on macOS and Windows it is
 * the whole process's, and this does nothing (null). Never throws: a thread that exits meanwhile, or a
 * /proc that cannot be read, leaves the priorities as they are.
 */
export function putOthersBehind(deps: ThreadPriorityDeps = linuxDeps): PriorityResult | null {
  if (deps.platform !== 'linux') return null;
  let own: number;
  let tids: number[];
  let nice: number;
  try {
    own = deps.ownThread();
    tids = deps.threads();
    nice = deps.getPriority(own);
  } catch {
    return null;
  }
  const others = Math.min(LOWEST, nice + PRIORITY_GAP);
  let lowered = 0;
  for (const tid of tids) {
    if (tid === own || !Number.isInteger(tid)) continue;
    try {
      if (deps.getPriority(tid) >= others) continue;
      deps.setPriority(tid, others);
      lowered++;
    } catch {
      // Exited meanwhile, or not ours to change: it keeps its priority.
    }
  }
  return { own: nice, others, lowered };
}
