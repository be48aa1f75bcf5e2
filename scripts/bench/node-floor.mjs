// The least a Node.js forwarder does per UDP query, as a floor for `npm run bench -- --household`: it takes
// a query, sends it to the upstream from one socket, and sends the upstream's reply back to the client by
// the query ID. No ID randomisation, timeouts, TCP, recording or journal: what any forwarder written for
// Node pays in event-loop wake-ups and sends before it does any work of its own.
// Usage: node node-floor.mjs LISTEN_PORT UPSTREAM_PORT (127.0.0.1 both); prints "ready" once listening.
import dgram from 'node:dgram';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const server = dgram.createSocket('udp4');
const upstream = dgram.createSocket('udp4');
/** Client waiting for each query ID (the bench's dnsperf keeps IDs unique among those in flight). */
const waiting = new Map();
upstream.on('message', (msg) => {
  const client = waiting.get(msg.readUInt16BE(0));
  if (!client) return;
  waiting.delete(msg.readUInt16BE(0));
  server.send(msg, client.port, client.address);
});
server.on('message', (msg, client) => {
  if (msg.length < 12) return;
  waiting.set(msg.readUInt16BE(0), client);
  upstream.send(msg);
});
// Connected, as DNS Witness's upstream sockets are: the kernel filters replies and no address is looked up.
upstream.connect(upstreamPort, '127.0.0.1', () => {
  server.bind(listenPort, '127.0.0.1', () => process.stdout.write('ready\n'));
});
