import { Router } from 'express';
import type { RouteDeps } from '../app';
import { parseRequest } from '../errors';
import { toAuditView } from '../order-view';
import { AuditQuerySchema, encodeCursor } from '../schemas';

/** `GET /api/audit`: who did what, newest first; admins only (mount after `authenticate`). */
export function auditRouter({ audit }: RouteDeps): Router {
  const router = Router();
  router.get('/api/audit', async (req, res) => {
    const query = parseRequest(AuditQuerySchema, req.query, 'query string');
    const found = await audit.list({
      ...(query.orderId ? { orderId: query.orderId.toLowerCase() } : {}),
      ...(query.actor ? { actor: query.actor } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.cursor ? { before: query.cursor } : {}),
      limit: query.limit,
    });
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({ events: page.map(toAuditView), nextCursor: found.length > query.limit && last ? encodeCursor(last._id.toHexString()) : null });
  });
  return router;
}
