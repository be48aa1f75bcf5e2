/**
 * `npm run verify -- FILE.zip` (or a journal.ndjson): one OK line when verify vouches for everything, else
 * one line per finding. Exit codes (docs/EVIDENCE.md): 0 intact, 1 changed or not matching, 2 cannot vouch
 * for all of it (unsealed, open, cut short, records lost, not signed), 3 missing, unreadable or not evidence.
 */
import { EXIT_CODES, exitCodeOf, verifyPath, type FindingLevel } from './verify';

const USAGE = `Usage: npm run verify -- [--key FINGERPRINT] FILE.zip|journal.ndjson [MORE…]

Checks a DNS Witness evidence bundle (every file against its manifest, the manifest's signature, the
journals' hash chain and completeness, the CSV and pcap against the journals) or a capture journal
(journal.ndjson). One line per finding. --key: bundles must be signed by the install key with this
fingerprint (as the app shows it).
Exit 0: intact; 1: something changed or does not match; 2: cannot vouch for all of it
(unsealed or lost records, no closing seal, a capture still running); 3: missing, unreadable, or not a
journal or bundle. See docs/EVIDENCE.md.
`;

const LEVEL_OF_CODE = new Map<number, FindingLevel>(
  (Object.entries(EXIT_CODES) as [string, number][])
    .filter(([k]) => k !== 'ok')
    .map(([k, v]) => [v, k as FindingLevel]),
);

async function main(args: readonly string[]): Promise<number> {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
    (args.length === 0 ? process.stderr : process.stdout).write(USAGE);
    return args.length === 0 ? EXIT_CODES.unreadable : EXIT_CODES.ok;
  }
  const files: string[] = [];
  let key: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--key') key = args[++i] ?? '';
    else if (arg.startsWith('--key=')) key = arg.slice(6);
    else files.push(arg);
  }
  if (files.length === 0 || key === '') {
    process.stderr.write(USAGE);
    return EXIT_CODES.unreadable;
  }
  const levels: FindingLevel[] = [];
  for (const file of files) {
    const r = await verifyPath(file, { key });
    for (const line of r.lines) (r.ok ? process.stdout : process.stderr).write(`${line}\n`);
    const level = LEVEL_OF_CODE.get(r.exitCode);
    if (level) levels.push(level);
  }
  return exitCodeOf(levels);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`UNREADABLE verify: ${String(err)}\n`);
    process.exit(EXIT_CODES.unreadable);
  },
);
