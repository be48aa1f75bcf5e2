/**
 * A dnstap sender for tests: client query and response messages for made-up exchanges, encoded with the
 * code generated from dnstap.proto, written as unidirectional Frame Streams (START … STOP) to an input.
 */
import net from 'node:net';
import { dnstap } from '../../electron/engine/dnstap/proto/dnstap.js';

const CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

/** A Frame Streams control frame (RFC-less; fstrm): escape, length, type, and one content type field. */
export function controlFrame(type: 2 | 3 | 4, contentType?: string): Buffer {
  const field = contentType === undefined ? null : Buffer.from(contentType);
  const length = 4 + (field ? 8 + field.length : 0);
  const out = Buffer.alloc(8 + length);
  out.writeUInt32BE(length, 4);
  out.writeUInt32BE(type, 8);
  if (field) {
    out.writeUInt32BE(1, 12);
    out.writeUInt32BE(field.length, 16);
    field.copy(out, 20);
  }
  return out;
}

export const START = controlFrame(2, CONTENT_TYPE);
export const STOP = controlFrame(3);

function nameBytes(name: string): Buffer {
  return Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

/**
 * Data frames for one exchange per name: a CLIENT_QUERY and a CLIENT_RESPONSE (NXDOMAIN) from `client`,
 * identity "generator", version "test".
 */
export function exchangeFrames(names: readonly string[], client = '127.0.0.5'): Buffer {
  const now = Date.now();
  const frames = names.flatMap((name, i) => {
    const query = Buffer.concat([
      Buffer.from([i >> 8, i & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      nameBytes(name),
      Buffer.from([0, 1, 0, 1]),
    ]);
    const response = Buffer.from(query);
    response[2] = 0x81;
    response[3] = 0x83;
    const common = {
      socketFamily: dnstap.SocketFamily.INET,
      socketProtocol: dnstap.SocketProtocol.UDP,
      queryAddress: Uint8Array.from(client.split('.').map(Number)),
      queryPort: 2000 + i,
      queryTimeSec: Math.floor(now / 1000),
      queryTimeNsec: (now % 1000) * 1e6,
    };
    return [
      { ...common, type: dnstap.Message.Type.CLIENT_QUERY, queryMessage: query },
      { ...common, type: dnstap.Message.Type.CLIENT_RESPONSE, responseMessage: response },
    ].map((message) => {
      const bytes = dnstap.Dnstap.encode({
        identity: Buffer.from('generator'),
        version: Buffer.from('test'),
        type: dnstap.Dnstap.Type.MESSAGE,
        message,
      }).finish();
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      return Buffer.concat([len, bytes]);
    });
  });
  return Buffer.concat(frames);
}

/** Sends `names` as a whole unidirectional stream to a dnstap input and waits until the input closes it. */
export async function sendExchanges(target: net.NetConnectOpts, names: readonly string[]): Promise<void> {
  const s = net.createConnection(target);
  await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
  s.resume();
  const closed = new Promise((resolve) => s.once('close', resolve));
  s.end(Buffer.concat([START, exchangeFrames(names), STOP]));
  await closed;
}
