import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { PROVISION_QUEUE } from '../queue/provision-queue';
import { requireAdmin } from './auth';
import { AppError } from '../domain/errors';
import { ForbiddenError } from './errors';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * bull-board's UI loads its own scripts and styles from its mount plus Google Fonts; the API's
 * default CSP would block the fonts, and `upgrade-insecure-requests` breaks it over plain HTTP.
 */
const boardHelmet: RequestHandler = helmet({
  contentSecurityPolicy: {
    directives: {
      'default-src': ["'self'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      'font-src': ["'self'", 'data:', 'https://fonts.gstatic.com'],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'upgrade-insecure-requests': null,
    },
  },
});

/** 405: the action exists in bull-board but is turned off for this queue. */
export class ActionNotAllowedError extends AppError {
  override readonly name = 'ActionNotAllowedError';
  readonly code = 'action_not_allowed';
  readonly status = 405;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * bull-board's own UI sends its writes without any header a cross-site form could not send, and a
 * browser attaches saved Basic credentials to cross-site requests: so every write, however it is
 * authenticated, must come from this origin. Browsers say where a request comes from (`Sec-Fetch-Site`,
 * `Origin`); a request that says neither is not a browser's (curl, scripts) and goes on.
 */
export const sameOriginWrites: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  const site = req.get('sec-fetch-site');
  if (site !== undefined) {
    return next(site === 'same-origin' || site === 'none' ? undefined : new ForbiddenError(`bull-board refuses a ${site} request: use it from its own page.`));
  }
  const origin = req.get('origin');
  if (origin === undefined) return next();
  // The host alone: behind a TLS proxy the scheme seen here may differ from the browser's.
  next(originHost(origin) === req.get('host') ? undefined : new ForbiddenError('bull-board refuses a request from another origin: use it from its own page.'));
};

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Writes bull-board would make to the provision queue that bypass the order's request path: a Retry or
 * an added job would not carry the order's deduplication key (a second live job for one order), and
 * edited data could corrupt a job mid-attempt. Retry is turned off in the UI too; Promote ("run now")
 * stays, since it only moves a waiting job forward.
 */
const PROVISION_WRITES = new RegExp(`^/api/queues/${PROVISION_QUEUE}/(add|retry/[^/]+|[^/]+/retry|[^/]+/update-data)$`);

const guardProvisionQueue: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method) || !PROVISION_WRITES.test(req.path)) return next();
  next(
    new ActionNotAllowedError(
      'Provision jobs are retried through the order (POST /api/orders/{orderId}/provision, or Retry on the admin page), never from bull-board: that keeps one live job per order.',
    ),
  );
};

/** bull-board for the provision queue (and any other queues, e.g. the sweeper's), behind admin auth. */
export function bullBoardRouter({ adminToken, queues }: { adminToken: string; queues: Queue[] }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, queue.name === PROVISION_QUEUE ? { allowRetries: false } : {})),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'VPS provisioning' } },
  });
  // The adapter is an Express sub-app with its own settings; it would announce itself otherwise.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');

  const router = Router();
  router.use(BULL_BOARD_PATH, boardHelmet, requireAdmin({ adminToken, basicRealm: 'bull-board' }), sameOriginWrites, guardProvisionQueue, board);
  return router;
}
