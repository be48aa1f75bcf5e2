// What the report says about the machine, and how busy it is before we load it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { sleep } from './procs.mjs';

/** True when `cmd` is on PATH. */
export const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const firstMatch = (cmd, args, re) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout ?? ''}\n${r.stderr ?? ''}`)?.[1] ?? 'unknown';
};

/** The commit measured, marked "+ local changes" when the tree differs from it; "unknown" outside git. */
export function revision(cwd) {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout?.trim() ? ' + local changes' : ''}`;
}

/** Date, CPUs, RAM, OS and tool versions for the report header. */
export function machineInfo(tmpParent) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    ramGiB: os.totalmem() / 2 ** 30,
    os: `${/^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? os.type()} (kernel ${os.release()})`,
    node: process.version,
    dnsmasq: firstMatch('dnsmasq', ['--version'], /Dnsmasq version (\S+)/),
    dnsperf: firstMatch('dnsperf', ['-h'], /Version (\S+)/),
    tmpFs: firstMatch('df', ['--output=fstype', tmpParent], /^(?!Type)(\S+)\s*$/m),
  };
}

function cpuTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  // Loopback traffic is processed in softirq and charged to no process: it is ours, not "others".
  return {
    busy: user + nice + system + steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** CPU ticks (user + system) a process has used, with its reaped children when `withChildren`; 0 once gone. */
function processTicks(pid, withChildren = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime, stime, cutime, cstime are fields 14 to 17.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return f[11] + f[12] + (withChildren ? f[13] + f[14] : 0);
  } catch {
    return 0;
  }
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * Starts counting the CPU time (user + system) one process uses; the returned function gives the seconds
 * since. Unlike throughput, this barely moves when other processes compete for the CPUs.
 */
export function processCpuMeter(pid) {
  const start = processTicks(pid);
  return () => (processTicks(pid) - start) / CLK_TCK;
}

/**
 * Starts counting the CPU time of every process except this one, its finished children (dnsperf,
 * dig) and `ownPids` (our servers). The returned function gives the share (0..1) of all CPUs those
 * other processes used since; NaN without /proc.
 */
export function otherCpuMeter(ownPids) {
  if (!existsSync('/proc/stat')) return () => NaN;
  const own = () => processTicks('self', true) + ownPids.reduce((n, pid) => n + processTicks(pid), 0);
  const a = { sys: cpuTimes(), own: own() };
  return () => {
    const b = { sys: cpuTimes(), own: own() };
    const total = b.sys.total - a.sys.total;
    const busy = b.sys.busy - a.sys.busy;
    return total > 0 ? Math.max(0, (busy - (b.own - a.own)) / total) : NaN;
  };
}

/** Share (0..1) of all CPUs that other processes use over the next `ms` milliseconds (see otherCpuMeter). */
export async function cpuBusyShare(ms = 2000, ownPids = []) {
  const meter = otherCpuMeter(ownPids);
  await sleep(ms);
  return meter();
}

/** CPU ticks (user + system) of each thread of a live process, by thread id; empty without /proc. */
export function threadTicks(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * The thread of `pid` other than its main thread that used the most CPU between two threadTicks() readings:
 * DNS Witness's DNS thread, measured while it answered a load. Null when none used any.
 */
export function busiestWorkerThread(pid, before, after) {
  let best = null;
  let most = 0;
  for (const [tid, ticks] of after) {
    const used = ticks - (before.get(tid) ?? 0);
    if (tid !== pid && used > most) [best, most] = [tid, used];
  }
  return best;
}

/**
 * Pins thread `dnsTid` of `pid` to CPU `dnsCpu` and every other thread of it to `restCpu` (taskset -p);
 * throws when taskset refuses.
 */
export function pinThreads(pid, dnsTid, dnsCpu, restCpu) {
  for (const tid of threadTicks(pid).keys()) {
    const cpu = tid === dnsTid ? dnsCpu : restCpu;
    const r = spawnSync('taskset', ['-p', '-c', String(cpu), String(tid)], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`taskset -p -c ${cpu} ${tid}: ${r.stderr.trim() || `exit ${r.status}`}`);
  }
}
