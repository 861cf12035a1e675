/**
 * The `/metrics` endpoint. It must never keep the app alive or crash it: the listening socket and
 * every accepted connection are unref'd (Prometheus keeps connections open between scrapes), and a
 * listen error becomes one coded warning.
 */
import type * as Http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WarningCode } from '../codes';
import { OWN_SERVER } from '../http/route';

export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export interface ServerHooks {
  warn(code: WarningCode, message: string): void;
  /** Called once listening, with the real port (useful with port 0). */
  onListening?(port: number): void;
}

export function serveMetrics(source: MetricsSource, port: number, host: string, hooks: ServerHooks): () => void {
  // Required here: node:http is ~6 ms of start-up, for the processes that serve /metrics only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('node:http') as typeof Http;
  const server = http.createServer((request, response) => {
    const url = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('loopwatch serves /metrics only\n');
    } else {
      source.metrics().then(
        (text) => response.writeHead(200, { 'content-type': source.contentType }).end(request.method === 'HEAD' ? undefined : text),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`loopwatch: ${error.message}\n`),
      );
    }
  });
  // Scrapes are loopwatch's own requests: never a stall's request, never counted as in flight.
  (server as unknown as Record<symbol, boolean>)[OWN_SERVER] = true;
  server.on('connection', (socket) => socket.unref());
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      hooks.warn(
        'LOOPWATCH_METRICS_PORT_IN_USE',
        `port ${port} on ${host} is in use, no /metrics in process ${process.pid} (a parent process that inherited NODE_OPTIONS may hold it; see docs/metrics.md)`,
      );
    } else {
      hooks.warn('LOOPWATCH_METRICS_SERVER_FAILED', `cannot serve /metrics on ${host}:${port} (${error.message})`);
    }
  });
  server.listen(port, host, () => hooks.onListening?.((server.address() as AddressInfo).port));
  server.unref();
  return () => void server.close();
}
