import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditLog } from '../audit/audit-log';
import { connectedWithin } from '../queue/redis';
import { createApp, type AppDeps } from './app';

export interface ApiServer {
  url: string;
  port: number;
  server: http.Server;
  /** Stops accepting, closes idle keep-alive sockets, waits for requests in flight, then forces. */
  close(): Promise<void>;
}

export interface StartApiOptions extends AppDeps {
  host: string;
  port: number;
  /** How long close() waits for requests in flight before cutting their sockets. */
  closeTimeoutMs?: number;
}

/**
 * How long the API waits for its Redis connection before it listens: its first requests then find it
 * open. Past that it starts all the same (Redis routes answer 503, payments are recorded for the sweeper).
 */
const REDIS_START_WAIT_MS = 2_000;

/** Starts the API on host:port (0: any free port) and resolves once it listens. */
export async function startApiServer({ host, port, closeTimeoutMs = 5_000, ...deps }: StartApiOptions): Promise<ApiServer> {
  await connectedWithin(deps.redis, REDIS_START_WAIT_MS);
  const app = createApp(deps);
  const server = http.createServer(app);
  // Slow or stuck clients must not hold sockets forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
      server.close(() => {
        clearTimeout(force);
        void (app.locals.audit as AuditLog).flush().then(resolve, resolve);
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url: `http://${urlHost}:${address.port}`, port: address.port, server, close };
}
