import type { AddressInfo } from 'node:net';
import express from 'express';
import { accessLog } from '../../src/api/access-log';
import { createLogger } from '../../src/observability/logger';
import { waitFor } from '../support/wait-for';

interface Line {
  level: number;
  msg: string;
  reqId: string;
  req: { method: string; path: string };
  res: { status: number | null };
  responseTime: number;
}

/** An app behind the access log, on a free port, its log lines gathered at `level`. */
async function serve(level: string) {
  const lines: Line[] = [];
  const logger = createLogger({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  const app = express();
  app.use(accessLog(logger));
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  app.get('/boom', (_req, res) => void res.status(500).json({ error: 'internal' }));
  // Never answers: the client gives up.
  const hanging: string[] = [];
  app.get('/hang', (req) => void hanging.push(req.path));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    lines,
    hanging,
    url,
    close: () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      return closed;
    },
  };
}

describe('access log', () => {
  it('gives every answer a request id: a sane one from the proxy is kept, anything else replaced', async () => {
    const app = await serve('silent');
    try {
      const made = [await fetch(`${app.url}/ok`), await fetch(`${app.url}/ok`)].map((res) => res.headers.get('x-request-id'));
      expect(made[0]).toMatch(/^[\w-]+$/);
      expect(made[1]).not.toBe(made[0]);
      expect((await fetch(`${app.url}/ok`, { headers: { 'x-request-id': 'edge-42.a' } })).headers.get('x-request-id')).toBe('edge-42.a');
      for (const given of ['x'.repeat(65), 'a%20b', 'a/b']) {
        const answered = (await fetch(`${app.url}/ok`, { headers: { 'x-request-id': given } })).headers.get('x-request-id');
        expect(answered).not.toBe(given);
        expect(answered).toMatch(/^[\w-]+$/);
      }
    } finally {
      await app.close();
    }
  });

  it('writes one line per request at its level: 2xx at debug, 4xx at info, 5xx at error; never the query', async () => {
    const app = await serve('debug');
    try {
      await fetch(`${app.url}/ok?token=secret`, { headers: { 'x-request-id': 'r-1' } });
      await fetch(`${app.url}/missing`, { headers: { 'x-request-id': 'r-2' } });
      await fetch(`${app.url}/boom`, { headers: { 'x-request-id': 'r-3' } });
      await waitFor(() => app.lines.length === 3, { message: 'three access lines' });
      expect(app.lines.map(({ level, msg, reqId, req, res }) => ({ level, msg, reqId, req, res }))).toEqual([
        { level: 20, msg: 'request completed', reqId: 'r-1', req: { method: 'GET', path: '/ok' }, res: { status: 200 } },
        { level: 30, msg: 'request completed', reqId: 'r-2', req: { method: 'GET', path: '/missing' }, res: { status: 404 } },
        { level: 50, msg: 'request completed', reqId: 'r-3', req: { method: 'GET', path: '/boom' }, res: { status: 500 } },
      ]);
      for (const line of app.lines) expect(line.responseTime).toBeGreaterThanOrEqual(0);
    } finally {
      await app.close();
    }
  });

  it('writes nothing below its level, and says when the client went away before the answer', async () => {
    const app = await serve('info');
    try {
      await fetch(`${app.url}/ok`);
      await fetch(`${app.url}/missing`, { headers: { 'x-request-id': 'r-4' } });
      const controller = new AbortController();
      const hung = fetch(`${app.url}/hang`, { signal: controller.signal, headers: { 'x-request-id': 'r-5' } }).catch((error: unknown) => error);
      await waitFor(() => app.lines.length === 1, { message: 'the 404 line' });
      // Only once the server has the request: an abort before it arrives leaves nothing to log.
      await waitFor(() => app.hanging.length === 1, { message: 'the request that never gets an answer, received' });
      controller.abort();
      await hung;
      await waitFor(() => app.lines.length === 2, { message: 'the aborted request line' });
      expect(app.lines.map(({ level, msg, reqId, res }) => ({ level, msg, reqId, status: res.status }))).toEqual([
        { level: 30, msg: 'request completed', reqId: 'r-4', status: 404 },
        // Nothing was sent, so no status; written at info whatever Express's default status says.
        { level: 30, msg: 'request aborted', reqId: 'r-5', status: null },
      ]);
    } finally {
      await app.close();
    }
  });
});
