// Types of history-journal.mjs for the TypeScript tests that write a history with it.

export interface WrittenCapture {
  readonly id: string;
  readonly startedAt: number;
  readonly stoppedAt: number;
  /** Seq of the capture's last query. */
  readonly lastSeq: number;
}

export interface WrittenHistory {
  readonly captures: readonly WrittenCapture[];
  /** Bytes of journal written (its compressed frames). */
  readonly bytes: number;
  /** Bytes of checkpoints written (0 without `checkpoints`). */
  readonly checkpointBytes: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /** Devices besides the router. */
  readonly clients: number;
}

export function writeHistory(opts: {
  /** The checkout whose engine sources encode the journal. */
  readonly root: string;
  readonly dataDir: string;
  readonly queries: number;
  /** Average queries a second (default 5). */
  readonly rate?: number;
  /** Devices besides the router (default 24). */
  readonly clients?: number;
  /** Distinct names the devices ask for (default 3000). */
  readonly names?: number;
  /** Give each capture the checkpoint the service writes when it stops (default false: none, as after an upgrade). */
  readonly checkpoints?: boolean;
  readonly log?: (line: string) => void;
}): Promise<WrittenHistory>;
