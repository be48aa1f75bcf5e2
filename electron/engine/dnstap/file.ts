/**
 * dnstap files as input: a Frame Streams file (`dnstap -w FILE`, Unbound or Knot writing to a file,
 * DNS Witness's own /api/export.dnstap) read as the records the capture keeps, in bounded memory.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ExchangeRecord } from '../capture/types';
import { decodeDnstap, ExchangeAssembler, SourceName } from './decode';
import { CONTROL, DNSTAP_CONTENT_TYPE, FrameReader } from './frame-streams';

export interface DnstapFileOptions {
  /** The watchlist rule a name matches ("" for none); the importer passes the engine's. */
  readonly classify?: (qname: string) => string;
  /** Largest data frame accepted (bytes). */
  readonly maxFrame?: number;
}

/** Queries whose response is this much later in the file's own time are recorded as unanswered. */
const WAIT_MS = 5_000;

/**
 * The exchanges in the dnstap file at `file`, in the order their responses appear (a query without one at
 * the end). Each has `source` "dnstap: IDENTITY (VERSION) via file NAME". Reads the file in chunks and keeps
 * only the queries still waiting for their response. Rejects with one readable line for a file that is not
 * dnstap (no START, another content type, a frame that is not a dnstap message); a file cut short after
 * complete frames (a writer that was killed) yields what it holds.
 */
export async function* readDnstapFile(
  file: string,
  opts: DnstapFileOptions = {},
): AsyncGenerator<ExchangeRecord, void, undefined> {
  const name = path.basename(file);
  const ready: ExchangeRecord[] = [];
  const assembler = new ExchangeAssembler((rec) => ready.push(rec), {
    classify: opts.classify,
    waitMs: WAIT_MS,
  });
  const reader = new FrameReader(opts.maxFrame ?? 1 << 20);
  let started = false;
  let stopped = false;
  let frameNo = 0;
  let lastTime = 0;
  const source = new SourceName(`file ${name}`);
  const fail = (why: string) => new Error(`${name} is not a dnstap file: ${why}`);
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    let frames;
    try {
      frames = reader.push(chunk as Buffer);
    } catch (err) {
      throw fail(`frame ${frameNo + 1} is a ${(err as Error).message}`);
    }
    for (const f of frames) {
      frameNo++;
      if (stopped) break;
      if (f.kind === 'control') {
        const { type, contentTypes } = f.control;
        if (type === CONTROL.START && !started) {
          if (contentTypes.length > 0 && !contentTypes.includes(DNSTAP_CONTENT_TYPE))
            throw fail(`its content type is ${contentTypes.join(', ')}`);
          started = true;
        } else if (type === CONTROL.STOP && started) stopped = true;
        else throw fail(`unexpected control frame (type ${type}) at frame ${frameNo}`);
        continue;
      }
      if (!started) throw fail('it does not begin with a Frame Streams START');
      const d = decodeDnstap(f.data);
      if (d === null) throw fail(`frame ${frameNo} is not a dnstap message`);
      if (d === undefined) continue;
      // The file's own clock: a query waits for its response as long in file time as on a socket.
      const m = d.message!;
      const t = (m.responseTimeSec || m.queryTimeSec || 0) * 1000;
      if (t > lastTime) lastTime = t;
      assembler.add(d, source.of(d.identity, d.version), lastTime);
      if ((frameNo & 1023) === 0) assembler.expire(lastTime);
    }
    yield* ready;
    ready.length = 0;
    if (stopped) break;
  }
  if (!started) throw fail('it does not begin with a Frame Streams START');
  assembler.flush(lastTime);
  yield* ready;
}
