import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
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

/** The admin page's session cookie (HttpOnly, SameSite=Strict; the README explains the design). */
export const ADMIN_SESSION_COOKIE = 'vps_admin_session';
/** How long a signed-in admin page stays signed in. */
export const ADMIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * A request authenticated by the session cookie may change state only with this header: a cross-site
 * form cannot send it, and a cross-site script would need a CORS preflight this API never grants.
 */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'vps-admin';

const SESSION_VALUE = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

const sessionMac = (adminToken: string, expiresAtSeconds: number): string =>
  createHmac('sha256', adminToken).update(`admin-session:v1:${expiresAtSeconds}`).digest('base64url');

/**
 * The session cookie's value: its expiry and an HMAC of it keyed with the admin token. Nothing is
 * stored server-side, the token itself never leaves the server again, and rotating the token ends
 * every session.
 */
export function createSessionValue(adminToken: string, now = Date.now()): string {
  const expiresAtSeconds = Math.floor((now + ADMIN_SESSION_TTL_MS) / 1000);
  return `v1.${expiresAtSeconds}.${sessionMac(adminToken, expiresAtSeconds)}`;
}

/** Whether a session cookie value was made with this admin token and has not expired. */
export function isValidSessionValue(value: string, adminToken: string, now = Date.now()): boolean {
  const match = SESSION_VALUE.exec(value);
  if (!match) return false;
  const expiresAtSeconds = Number(match[1]);
  const valid = secretsEqual(match[2] as string, sessionMac(adminToken, expiresAtSeconds));
  return valid && expiresAtSeconds * 1000 > now;
}

/** One cookie's raw value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A state-changing request that does not carry the admin page's CSRF header. */
export function lacksCsrfHeader(req: Request): boolean {
  return !SAFE_METHODS.has(req.method) && req.headers[CSRF_HEADER] !== CSRF_HEADER_VALUE;
}

export interface AdminAuthOptions {
  adminToken: string;
  /** Also accept HTTP Basic (any user, the token as password) and ask browsers for it on 401. */
  basicRealm?: string;
  /**
   * Also accept the admin page's session cookie when no Authorization header is given; unsafe
   * methods then need the CSRF header as well.
   */
  session?: boolean;
}

/**
 * Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>` (or Basic where allowed). Missing
 * credentials answer 401, wrong ones 403. It runs before any validation, so an unauthenticated
 * caller learns nothing about ids or parameters. With `session`, a request without an Authorization
 * header may instead carry the admin page's session cookie: a stale one is 401, and an unsafe method
 * without the CSRF header 403.
 */
export function requireAdmin({ adminToken, basicRealm, session = false }: AdminAuthOptions): RequestHandler {
  const allowBasic = basicRealm !== undefined;
  const challenge = allowBasic ? `Basic realm="${basicRealm}"` : 'Bearer realm="vps-provisioner"';
  return (req, res, next) => {
    const secret = presentedSecret(req.headers.authorization, allowBasic);
    const cookie = secret === null && session ? readCookie(req.headers.cookie, ADMIN_SESSION_COOKIE) : undefined;
    if (cookie !== undefined) {
      if (!isValidSessionValue(cookie, adminToken)) {
        next(new UnauthorizedError('The admin session has expired or is no longer valid: sign in again.'));
      } else if (lacksCsrfHeader(req)) {
        next(new ForbiddenError(`A request signed in by the session cookie must send the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE}.`));
      } else {
        next();
      }
      return;
    }
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
