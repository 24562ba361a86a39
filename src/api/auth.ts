import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AdminCredential } from '../config';
import type { AuditLog } from '../audit/audit-log';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from './errors';

/** Who made a request: a named admin, or the web app's server. */
export type Principal = { kind: 'admin'; name: string } | { kind: 'app' };

/** How a principal appears in the audit log: the admin's name, or `app`. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'admin' ? principal.name : 'app';
}

/** The principal `authenticate` put on the request. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf() on a route without authenticate()');
  return principal;
}

/** 403 unless the request was made by an admin (the app token may not). */
export function requireAdminPrincipal(res: Response, what: string): void {
  if (principalOf(res).kind !== 'admin') throw new ForbiddenError(`The app token may not ${what}: admins only.`);
}

export interface Credentials {
  admins: readonly AdminCredential[];
  appToken?: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first, so
 * neither the content nor the length of the token leaks through timing.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The configured tokens' digests, computed once (the presented secret's is computed per request). */
const tokenDigests = new Map<string, Buffer>();
function tokenDigest(token: string): Buffer {
  let found = tokenDigests.get(token);
  if (!found) {
    found = digest(token);
    tokenDigests.set(token, found);
  }
  return found;
}

/** Whose token this is. Every token is compared (no early exit), so timing tells nothing of which matched. */
export function identify(secret: string, credentials: Credentials): Principal | null {
  const presented = digest(secret);
  let found: Principal | null = null;
  for (const admin of credentials.admins) {
    if (timingSafeEqual(presented, tokenDigest(admin.token)) && !found) found = { kind: 'admin', name: admin.name };
  }
  if (credentials.appToken !== undefined && timingSafeEqual(presented, tokenDigest(credentials.appToken)) && !found) found = { kind: 'app' };
  return found;
}

/** The secret an Authorization header carries, or null when it has none we accept. */
export function presentedSecret(header: string | undefined, allowBasic: boolean): { secret: string; scheme: 'bearer' | 'basic' } | null {
  if (!header) return null;
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const value = match[2] as string;
  if (scheme === 'bearer') return { secret: value, scheme };
  if (scheme === 'basic' && allowBasic) {
    // Any user name; the password is an admin token.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? { secret: decoded.slice(colon + 1), scheme } : null;
  }
  return null;
}

// ---- The admin page's session ----------------------------------------------------------------

/** The admin page's session cookie (HttpOnly, SameSite=Strict; docs/admin-page-security.md explains the design). */
export const ADMIN_SESSION_COOKIE = 'vps_admin_session';
/** How long a signed-in admin page stays signed in. */
export const ADMIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * A request authenticated by the session cookie may change state only with this header: a cross-site
 * form cannot send it, and a cross-site script would need a CORS preflight this API never grants.
 */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'vps-admin';

const SESSION_VALUE = /^v2\.([A-Za-z0-9_.-]{1,40})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
/** Clock skew between API processes that a session's expiry may exceed the promised 12 hours by. */
const SESSION_SKEW_MS = 60_000;

/** The key a session is signed with: derived from the admin's token, never the token itself. */
const sessionKey = (token: string): Buffer => createHmac('sha256', token).update('vps-provisioner admin session key v2').digest();

const sessionMac = (admin: AdminCredential, expiresAtSeconds: number): string =>
  createHmac('sha256', sessionKey(admin.token)).update(`admin-session:v2:${admin.name}:${expiresAtSeconds}`).digest('base64url');

/**
 * The session cookie's value: the admin's name, its expiry and an HMAC of both keyed with a key derived
 * from that admin's token. Nothing is stored server-side, the token never leaves the server again, and
 * rotating an admin's token ends that admin's sessions.
 */
export function createSessionValue(admin: AdminCredential, now = Date.now()): string {
  const expiresAtSeconds = Math.floor((now + ADMIN_SESSION_TTL_MS) / 1000);
  return `v2.${admin.name}.${expiresAtSeconds}.${sessionMac(admin, expiresAtSeconds)}`;
}

/** The admin a session cookie value was made for, if it is genuine, unexpired, and expires no later than promised. */
export function sessionAdmin(value: string, admins: readonly AdminCredential[], now = Date.now()): AdminCredential | null {
  const match = SESSION_VALUE.exec(value);
  if (!match) return null;
  const admin = admins.find((candidate) => candidate.name === match[1]);
  const expiresAtMs = Number(match[2]) * 1000;
  if (!admin || !secretsEqual(match[3] as string, sessionMac(admin, Number(match[2])))) return null;
  return expiresAtMs > now && expiresAtMs <= now + ADMIN_SESSION_TTL_MS + SESSION_SKEW_MS ? admin : null;
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

// ---- Failed attempts ---------------------------------------------------------------------------

/** Failed authentications allowed per client address per window, before 429s. */
const FAILURES_PER_WINDOW = 10;
const FAILURE_WINDOW_MS = 60_000;
/** Of those, how many a window are written to the audit log (the rest only counted). */
const AUDITED_FAILURES_PER_WINDOW = 3;
/** Addresses remembered at once; past it the oldest window is forgotten (memory stays bounded). */
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Failed Bearer, Basic and sign-in attempts per client address, in fixed windows. Past the limit every
 * attempt from that address is answered 429 with Retry-After until the window ends, without looking at
 * the credentials: guessing tokens costs a minute per ten tries.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until this address may try again (0: it may now). */
  blockedForMs(address: string): number {
    const window = this.current(address);
    return window && window.failures >= FAILURES_PER_WINDOW ? window.startedAt + FAILURE_WINDOW_MS - this.now() : 0;
  }

  /** Counts a failure; says whether it is one of the few a window worth an audit entry. */
  recordFailure(address: string): { audit: boolean } {
    const window = this.current(address) ?? { startedAt: this.now(), failures: 0 };
    window.failures += 1;
    this.windows.delete(address);
    this.windows.set(address, window);
    if (this.windows.size > MAX_TRACKED_ADDRESSES) this.windows.delete(this.windows.keys().next().value as string);
    return { audit: window.failures <= AUDITED_FAILURES_PER_WINDOW };
  }

  private current(address: string): { startedAt: number; failures: number } | undefined {
    const window = this.windows.get(address);
    if (window && this.now() - window.startedAt >= FAILURE_WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}

export interface AuthContext {
  credentials: Credentials;
  limiter: FailedAuthLimiter;
  audit: AuditLog;
}

/** Refuses an address past its failure limit (429), before anything else is looked at. */
export function refuseIfThrottled(context: AuthContext, req: Request): void {
  const waitMs = context.limiter.blockedForMs(req.ip ?? 'unknown');
  if (waitMs > 0) throw new TooManyRequestsError('Too many failed sign-in attempts from this address; try again later.', Math.ceil(waitMs / 1000));
}

/** Counts a failed authentication for the caller's address and audits the first few of each window. */
export function recordFailedAuth(context: AuthContext, req: Request, via: 'bearer' | 'basic' | 'session' | 'sign_in'): void {
  const address = req.ip ?? 'unknown';
  if (context.limiter.recordFailure(address).audit) {
    void context.audit.record({ actor: 'unknown', action: 'sign_in_failed', outcome: 'refused', details: { via, address, path: req.path } });
  }
}

export interface AuthenticateOptions {
  /** Who may pass: admins only, or admins and the web app's token. */
  allow: 'admin' | 'admin_or_app';
  /** Also accept HTTP Basic (any user, an admin token as password) and ask browsers for it on 401. */
  basicRealm?: string;
  /**
   * Also accept the admin page's session cookie when no Authorization header is given; unsafe methods
   * then need the CSRF header as well.
   */
  session?: boolean;
}

/**
 * Authentication: `Authorization: Bearer <token>` (or Basic where allowed, or the admin page's session
 * cookie). Missing credentials answer 401, wrong ones 403, too many wrong ones from one address 429.
 * It runs before any validation, so an unauthenticated caller learns nothing about ids or parameters.
 * The principal it found is `res.locals.principal` (see `principalOf`).
 */
export function authenticate(context: AuthContext, { allow, basicRealm, session = false }: AuthenticateOptions): RequestHandler {
  const allowBasic = basicRealm !== undefined;
  const challenge = allowBasic ? `Basic realm="${basicRealm}"` : 'Bearer realm="vps-provisioner"';
  return (req, res, next) => {
    const presented = presentedSecret(req.headers.authorization, allowBasic);
    const cookie = presented === null && session ? readCookie(req.headers.cookie, ADMIN_SESSION_COOKIE) : undefined;
    if (presented === null && cookie === undefined) {
      res.setHeader('WWW-Authenticate', challenge);
      next(new UnauthorizedError(allowBasic ? 'Admin credentials required (Bearer token, or Basic with an admin token as password).' : 'Credentials required: Authorization: Bearer <token>.'));
      return;
    }
    refuseIfThrottled(context, req);
    if (cookie !== undefined) {
      const admin = sessionAdmin(cookie, context.credentials.admins);
      if (!admin) {
        recordFailedAuth(context, req, 'session');
        next(new UnauthorizedError('The admin session has expired or is no longer valid: sign in again.'));
      } else if (lacksCsrfHeader(req)) {
        next(new ForbiddenError(`A request signed in by the session cookie must send the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE}.`));
      } else {
        res.locals.principal = { kind: 'admin', name: admin.name } satisfies Principal;
        next();
      }
      return;
    }
    const { secret, scheme } = presented as { secret: string; scheme: 'bearer' | 'basic' };
    const principal = identify(secret, context.credentials);
    if (!principal) {
      recordFailedAuth(context, req, scheme);
      next(new ForbiddenError('The credentials are not valid.'));
      return;
    }
    if (principal.kind === 'app' && allow === 'admin') {
      next(new ForbiddenError('The app token may not use this route: admins only.'));
      return;
    }
    res.locals.principal = principal;
    next();
  };
}
