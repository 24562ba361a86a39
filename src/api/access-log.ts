import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../observability/logger';

/** This process's random prefix and a counter: unique request ids without a random draw per request. */
const REQUEST_ID_PREFIX = randomBytes(6).toString('base64url');
let requestCounter = 0;
const nextRequestId = () => `${REQUEST_ID_PREFIX}-${(requestCounter++).toString(36)}`;

/** The access log's level for an answer: successes only at debug, client errors at info, failures at error. */
function accessLevel(status: number): 'debug' | 'info' | 'error' {
  return status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
}

/**
 * One access-log line per request, with a request id (taken from `X-Request-Id` when a proxy set a sane
 * one, else made here, and sent back), method, path, status and duration. Never headers or bodies. The
 * line is built only when its level is written: at the default level a 2xx answer costs an id and a
 * listener, no logger.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : nextRequestId();
    res.setHeader('X-Request-Id', id);
    const startedAt = performance.now();
    const done = () => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      const finished = res.writableFinished;
      // A client that went away before the answer is worth a line at info whatever the status says.
      const level = finished ? accessLevel(res.statusCode) : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: id,
          req: { method: req.method, path: req.originalUrl.split('?')[0] },
          // No status when nothing was sent (a client that left before the answer).
          res: { status: res.headersSent ? res.statusCode : null },
          responseTime: Math.round(performance.now() - startedAt),
        },
        finished ? 'request completed' : 'request aborted',
      );
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
