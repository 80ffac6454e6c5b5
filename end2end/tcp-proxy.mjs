// A TCP proxy the outage spec can cut and restore, standing between a
// Flowmeter server and its Postgres: `node tcp-proxy.mjs LISTEN UPSTREAM
// CONTROL` (each host:port). POST /cut on CONTROL drops every open
// connection and closes new ones at once, as a database that went away;
// POST /restore lets them through again. Stops on SIGTERM or SIGINT.
import http from 'node:http';
import net from 'node:net';

const [listen, upstream, control] = process.argv.slice(2).map((a) => {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
});
if (!control) throw new Error('usage: node tcp-proxy.mjs LISTEN UPSTREAM CONTROL (host:port each)');

let cut = false;
const open = new Set();

net.createServer((client) => {
  if (cut) return client.destroy();
  const server = net.connect(upstream);
  const pair = { client, server };
  open.add(pair);
  const close = () => {
    open.delete(pair);
    client.destroy();
    server.destroy();
  };
  client.on('error', close).on('close', close);
  server.on('error', close).on('close', close);
  client.pipe(server);
  server.pipe(client);
}).listen(listen.port, listen.host);

http.createServer((req, res) => {
  if (req.method === 'POST' && (req.url === '/cut' || req.url === '/restore')) {
    cut = req.url === '/cut';
    if (cut) for (const { client, server } of open) { client.destroy(); server.destroy(); }
    res.writeHead(204).end();
  } else {
    res.writeHead(404).end();
  }
}).listen(control.port, control.host);

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
