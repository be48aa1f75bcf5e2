/**
 * Frame Streams (fstrm), the framing dnstap travels in: https://farsightsec.github.io/fstrm/
 * A data frame is a 32-bit big-endian length and that many bytes. A control frame starts with a zero length
 * (the escape), then its own length, its type and its fields (type, length, value: CONTENT_TYPE only).
 * Written by hand: the npm packages named "frame stream" are generic length-prefix framers without the
 * control frames, and the format is a few dozen lines.
 */

/** The content type dnstap readers (the `dnstap` tool, dnstap-ldns, golang-dnstap) accept. */
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

export const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
export type ControlType = (typeof CONTROL)[keyof typeof CONTROL];

const FIELD_CONTENT_TYPE = 1;
/** fstrm's limit for a control frame; longer ones are refused as malformed. */
export const MAX_CONTROL_LENGTH = 512;

export interface ControlFrame {
  readonly type: ControlType;
  readonly contentTypes: readonly string[];
}

/** A control frame of `type` carrying `contentTypes` (READY, ACCEPT and START carry one; STOP and FINISH none). */
export function controlFrame(type: ControlType, contentTypes: readonly string[] = []): Buffer {
  const fields = contentTypes.map((t) => Buffer.from(t, 'utf8'));
  const length = 4 + fields.reduce((n, f) => n + 8 + f.length, 0);
  const out = Buffer.alloc(8 + length);
  out.writeUInt32BE(0, 0);
  out.writeUInt32BE(length, 4);
  out.writeUInt32BE(type, 8);
  let pos = 12;
  for (const f of fields) {
    out.writeUInt32BE(FIELD_CONTENT_TYPE, pos);
    out.writeUInt32BE(f.length, pos + 4);
    f.copy(out, pos + 8);
    pos += 8 + f.length;
  }
  return out;
}

/** Parses a control frame's body (after the escape and the length). Null when malformed. */
export function parseControl(body: Uint8Array): ControlFrame | null {
  if (body.length < 4 || body.length > MAX_CONTROL_LENGTH) return null;
  const view = Buffer.from(body.buffer, body.byteOffset, body.length);
  const type = view.readUInt32BE(0);
  if (type < CONTROL.ACCEPT || type > CONTROL.FINISH) return null;
  const contentTypes: string[] = [];
  let pos = 4;
  while (pos < view.length) {
    if (pos + 8 > view.length) return null;
    const field = view.readUInt32BE(pos);
    const len = view.readUInt32BE(pos + 4);
    if (pos + 8 + len > view.length) return null;
    if (field === FIELD_CONTENT_TYPE) contentTypes.push(view.toString('utf8', pos + 8, pos + 8 + len));
    pos += 8 + len;
  }
  return { type: type as ControlType, contentTypes };
}

export type Frame =
  | { readonly kind: 'control'; readonly control: ControlFrame }
  | { readonly kind: 'data'; readonly data: Buffer };

/**
 * Splits a byte stream into frames as bytes arrive: `push` returns the frames completed so far, or throws on
 * a malformed control frame or a data frame over `maxFrame` bytes.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrame = 1 << 20) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 4) break;
      const len = this.buf.readUInt32BE(0);
      if (len === 0) {
        if (this.buf.length < 8) break;
        const clen = this.buf.readUInt32BE(4);
        if (clen > MAX_CONTROL_LENGTH) throw new Error(`control frame of ${clen} bytes`);
        if (this.buf.length < 8 + clen) break;
        const control = parseControl(this.buf.subarray(8, 8 + clen));
        if (!control) throw new Error('malformed control frame');
        frames.push({ kind: 'control', control });
        this.buf = this.buf.subarray(8 + clen);
        continue;
      }
      if (len > this.maxFrame) throw new Error(`data frame of ${len} bytes`);
      if (this.buf.length < 4 + len) break;
      frames.push({ kind: 'data', data: this.buf.subarray(4, 4 + len) });
      this.buf = this.buf.subarray(4 + len);
    }
    return frames;
  }
}

/** Every data frame of a whole unidirectional stream (a file): START, data frames, STOP. Throws when malformed. */
export function readFrameStreamFile(bytes: Buffer): { contentType: string; frames: Buffer[] } {
  const frames = new FrameReader(bytes.length).push(bytes);
  const first = frames[0];
  const last = frames[frames.length - 1];
  if (first?.kind !== 'control' || first.control.type !== CONTROL.START) throw new Error('no START frame');
  if (last?.kind !== 'control' || last.control.type !== CONTROL.STOP) throw new Error('no STOP frame');
  const data = frames.slice(1, -1).map((f) => {
    if (f.kind !== 'data') throw new Error('control frame inside the stream');
    return f.data;
  });
  return { contentType: first.control.contentTypes[0] ?? '', frames: data };
}
