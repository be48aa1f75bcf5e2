/**
 * `npm run verify -- FILE.zip` (or a journal.ndjson): exit 0 with one OK line when everything matches, 1
 * with one line per mismatching file or journal range, 2 when the file cannot be read or no file is given.
 */
import { verifyPath } from './verify';

async function main(args: readonly string[]): Promise<number> {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    process.stdout.write(
      "Usage: npm run verify -- FILE.zip [MORE…]\n\nChecks a DNS Witness evidence bundle (every file against its manifest, the journals' hash chain) or a\ncapture journal (journal.ndjson). Exit 0: all match; 1: something changed; 2: cannot be read.\n",
    );
    return args.length === 0 ? 2 : 0;
  }
  let worst = 0;
  for (const file of args) {
    try {
      const r = await verifyPath(file);
      for (const line of r.lines) (r.ok ? process.stdout : process.stderr).write(`${line}\n`);
      if (!r.ok) worst = Math.max(worst, 1);
    } catch (err) {
      process.stderr.write(`verify: cannot read ${file}: ${(err as Error).message}\n`);
      worst = 2;
    }
  }
  return worst;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`verify: ${String(err)}\n`);
    process.exit(2);
  },
);
