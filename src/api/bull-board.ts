import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { requireAdmin } from './auth';

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

/** bull-board for the provision queue (and any other queues, e.g. the sweeper's), behind admin auth. */
export function bullBoardRouter({ adminToken, queues }: { adminToken: string; queues: Queue[] }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'VPS provisioning' } },
  });
  // The adapter is an Express sub-app with its own settings; it would announce itself otherwise.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');

  const router = Router();
  router.use(BULL_BOARD_PATH, boardHelmet, requireAdmin({ adminToken, basicRealm: 'bull-board' }), board);
  return router;
}
