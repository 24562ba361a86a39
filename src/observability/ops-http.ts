import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';

export interface OpsHttp {
  port: number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/**
 * What an orchestrator and Prometheus ask of a process, on a port of its own: `/healthz` (the process
 * runs), `/readyz` (MongoDB and Redis answer; 503 naming the one down) and `/metrics`. Workers serve no
 * API and use it at WORKER_METRICS_PORT; the API uses it when METRICS_PORT moves its metrics off the
 * API's port.
 */
export async function serveOpsHttp(options: {
  registry: Registry;
  readiness: () => Promise<Readiness>;
  host: string;
  port: number;
}): Promise<OpsHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method_not_allowed', message: 'GET only.' });
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      options.readiness().then(
        (ready) => sendJson(res, ready.status === 'ready' ? 200 : 503, ready),
        () => sendJson(res, 503, { status: 'unavailable' }),
      );
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' }).end(text),
        () => sendJson(res, 500, { error: 'internal', message: 'Metrics could not be collected.' }),
      );
      return;
    }
    sendJson(res, 404, { error: 'not_found', message: 'No such route.' });
  });
  // Scrapes and probes are short; a stuck client must not hold the process open at shutdown.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
