import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort, requireTool, waitFor } from './tools';

export interface Mosquitto {
  readonly url: string;
  /** A subscriber on `#` that keeps every message it sees, retained ones included. */
  readonly messages: { topic: string; payload: string; retain: boolean }[];
  /** The latest payload on `topic` (undefined before any). */
  latest(topic: string): string | undefined;
  /** What the broker keeps for `topic` (a retained message), as a new subscriber gets it; undefined: none. */
  retained(topic: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/**
 * Debian's mosquitto on 127.0.0.1 and a free port, from a config of its own in a temp folder (anonymous
 * clients, no persistence), with a subscriber on every topic.
 */
export async function startMosquitto(): Promise<Mosquitto> {
  requireTool('mosquitto', 'mosquitto');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join(
      '\n',
    ),
  );
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `mqtt://127.0.0.1:${port}`;
  const subscriber: MqttClient = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
      return connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 }).catch(() => undefined);
    },
    10_000,
    `mosquitto to listen on ${url}`,
  );
  const messages: Mosquitto['messages'] = [];
  subscriber.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
  );
  await subscriber.subscribeAsync('#', { qos: 1 });
  return {
    url,
    messages,
    latest: (topic) => messages.findLast((m) => m.topic === topic)?.payload,
    retained: async (topic) => {
      const client = await connectAsync(url, { reconnectPeriod: 0 });
      try {
        const got: string[] = [];
        client.on('message', (t, payload, packet) => {
          if (t === topic && packet.retain) got.push(payload.toString());
        });
        await client.subscribeAsync(topic, { qos: 1 });
        // The broker sends a retained message after the SUBACK: one more round trip, and it has arrived.
        await client.subscribeAsync(`${topic}/nothing-retained-here`, { qos: 1 });
        return got.at(-1);
      } finally {
        await client.endAsync(true);
      }
    },
    stop: async () => {
      await subscriber.endAsync(true).catch(() => undefined);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
