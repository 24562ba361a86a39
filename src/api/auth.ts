import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError } from './errors';

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the token leaks through timing.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The secret an Authorization header carries, or null when it has none we accept. */
export function presentedSecret(header: string | undefined, allowBasic: boolean): string | null {
  if (!header) return null;
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const value = match[2] as string;
  if (scheme === 'bearer') return value;
  if (scheme === 'basic' && allowBasic) {
    // Any user name; the password is the admin token.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

export interface AdminAuthOptions {
  adminToken: string;
  /** Also accept HTTP Basic (any user, the token as password) and ask browsers for it on 401. */
  basicRealm?: string;
}

/**
 * Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>` (or Basic where allowed). Missing
 * credentials answer 401, wrong ones 403. It runs before any validation, so an unauthenticated
 * caller learns nothing about ids or parameters.
 */
export function requireAdmin({ adminToken, basicRealm }: AdminAuthOptions): RequestHandler {
  const allowBasic = basicRealm !== undefined;
  const challenge = allowBasic ? `Basic realm="${basicRealm}"` : 'Bearer realm="vps-provisioner"';
  return (req, res, next) => {
    const secret = presentedSecret(req.headers.authorization, allowBasic);
    if (secret === null) {
      res.setHeader('WWW-Authenticate', challenge);
      next(new UnauthorizedError(allowBasic ? 'Admin credentials required (Bearer token, or Basic with the admin token as password).' : 'Admin credentials required: Authorization: Bearer <token>.'));
      return;
    }
    if (!secretsEqual(secret, adminToken)) {
      next(new ForbiddenError('The admin credentials are not valid.'));
      return;
    }
    next();
  };
}
