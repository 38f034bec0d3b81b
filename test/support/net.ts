/** Addresses for tests that must not touch the network: a port nobody listens on, a tiny local HTTP server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** http://127.0.0.1:<port>/ on a port that was free a moment ago and is closed now: connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

/**
 * A local HTTP server answering with `handle`; its URL ends in "/". Close it with `close()`.
 * `port`: listen there (e.g. the port of a closedPortUrl(), to bring a receiver up late).
 */
export async function localHttp(handle: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
