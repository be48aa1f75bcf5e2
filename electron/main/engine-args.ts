/**
 * Picks the engine flags `npm run serve` understands (--listen, --upstream, --router, …) out of Electron's command
 * line, which also carries Chromium switches and the app path that the strict serve parser would refuse.
 */
const VALUE_FLAGS = new Set([
  'listen',
  'upstream',
  'allow',
  'timeout',
  'max-inflight',
  'data-dir',
  'retention-days',
  'router',
]);
const BOOLEAN_FLAGS = new Set(['no-capture']);

/** Returns the engine flags in `argv` with their values, in order; everything else is left out. Never throws. */
export function engineArgs(argv: readonly string[]): string[] {
  const picked: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name) && eq === -1) picked.push(arg);
    if (!VALUE_FLAGS.has(name)) continue;
    if (eq !== -1) {
      picked.push(arg);
    } else if (i + 1 < argv.length) {
      picked.push(arg, argv[i + 1] ?? '');
      i++;
    } else {
      // Let the serve parser report the missing value.
      picked.push(arg);
    }
  }
  return picked;
}

/** True when `args` (as returned by engineArgs) choose the data folder themselves. */
export function hasDataDirFlag(args: readonly string[]): boolean {
  return args.some((a) => a === '--data-dir' || a.startsWith('--data-dir='));
}
