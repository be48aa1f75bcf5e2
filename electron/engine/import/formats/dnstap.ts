/**
 * dnstap files (Frame Streams of dnstap protobuf messages): `dnstap -w FILE`, Unbound or Knot writing to a
 * file, or DNS Witness's own Export dnstap. The reader is the dnstap input's (dnstap/file.ts): queries and
 * responses paired by addresses, ports and ID, with the real message bytes.
 */
import { readDnstapFile } from '../../dnstap/file';
import { DNSTAP_CONTENT_TYPE } from '../../dnstap/frame-streams';
import type { HashedReader } from '../source-file';
import {
  damagedAfter,
  ImportCancelled,
  ImportError,
  type FormatSpec,
  type ImportRecord,
  type ReadContext,
} from '../types';

const LABEL = 'dnstap file';
const BATCH = 1000;

/** A Frame Streams file opens with an escape (0), the control frame's length and START (2). */
function sniff(head: Buffer): boolean {
  return (
    head.length >= 12 &&
    head.readUInt32BE(0) === 0 &&
    head.readUInt32BE(8) === 2 &&
    head.subarray(0, 64).includes(DNSTAP_CONTENT_TYPE)
  );
}

async function* read(file: HashedReader, ctx: ReadContext): AsyncGenerator<ImportRecord[]> {
  let batch: ImportRecord[] = [];
  try {
    for await (const rec of readDnstapFile(file.input.path)) {
      batch.push({
        ts: rec.ts,
        client: rec.client,
        clientPort: rec.clientPort,
        transport: rec.transport,
        qname: rec.qname,
        qtype: rec.qtype,
        rcode: rec.rcode,
        answers: rec.answers,
        latencyMs: rec.latencyMs,
        upstream: rec.upstream,
        size: rec.size,
        error: rec.error,
        watchRule: '',
        queryWire: rec.queryWire,
        responseWire: rec.responseWire,
      });
      if (batch.length >= BATCH) {
        if (ctx.signal.aborted) throw new ImportCancelled();
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (err instanceof ImportCancelled) throw err;
    damagedAfter(new ImportError(LABEL, '', (err as Error).message), batch);
  }
  if (batch.length > 0) yield batch;
  ctx.progress(file.input.size);
}

export const dnstap: FormatSpec = {
  id: 'dnstap',
  label: LABEL,
  wire: true,
  cannotTell: [
    'A query the resolver logged without its response (or the other way round) has only the half it logged; one without a response is marked "unanswered".',
    'Which device asked is the query address the resolver saw: behind another resolver or a NAT, that is the last hop.',
  ],
  sniff,
  read,
};
