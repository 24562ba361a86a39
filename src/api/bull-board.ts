import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { PROVISION_QUEUE } from '../queue/provision-queue';
import { authenticate, CSRF_HEADER, CSRF_HEADER_VALUE, type AuthContext } from './auth';
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
 * The session cookie lets state-changing requests through only with the admin page's CSRF header, which
 * bull-board's UI does not send. Here the same-origin check (`sameOriginWrites`, on every write however
 * authenticated) is the CSRF defence, so the header is supplied for requests that pass it.
 */
const sessionWithoutCsrfHeader: RequestHandler = (req, _res, next) => {
  if (!req.headers.authorization && !SAFE_METHODS.has(req.method)) req.headers[CSRF_HEADER] = CSRF_HEADER_VALUE;
  next();
};

/**
 * Writes bull-board would make to the provision queue that bypass the order's request path: a Retry or
 * an added job would not carry the order's deduplication key (a second live job for one order), and
 * edited data could corrupt a job mid-attempt. Retry is turned off in the UI too; Promote ("run now")
 * stays, since it only moves a waiting job forward.
 */
const PROVISION_WRITES = new RegExp(`^/api/queues/${PROVISION_QUEUE}/(add|retry/[^/]+|[^/]+/retry|[^/]+/update-data)$`, 'i');

/** The path as bull-board's router will see it: decoded, without trailing slashes (it matches case-insensitively). */
function routedPath(path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  return decoded.replace(/\/+$/, '');
}

const guardProvisionQueue: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method) || !PROVISION_WRITES.test(routedPath(req.path))) return next();
  next(
    new ActionNotAllowedError(
      'Provision jobs are retried through the order (POST /api/orders/{orderId}/provision, or Retry on the admin page), never from bull-board: that keeps one live job per order.',
    ),
  );
};

/**
 * bull-board for the provision queue (and any other queues, e.g. the sweeper's), for admins: Bearer,
 * Basic (scripts, and browsers asked for it), or the admin page's session, so one sign-in covers both.
 */
export function bullBoardRouter({ auth, queues }: { auth: AuthContext; queues: Queue[] }): Router {
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
  router.use(
    BULL_BOARD_PATH,
    boardHelmet,
    sameOriginWrites,
    // bull-board's own page sends no CSRF header; its writes are held to the same-origin check instead.
    sessionWithoutCsrfHeader,
    authenticate(auth, { allow: 'admin', basicRealm: 'bull-board', session: true }),
    guardProvisionQueue,
    board,
  );
  return router;
}
