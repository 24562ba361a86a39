import express, { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { loadAdminUiAssets, type AdminUiAssets } from './admin-ui-assets';
import {
  ADMIN_SESSION_COOKIE,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  createSessionValue,
  identify,
  lacksCsrfHeader,
  readCookie,
  recordFailedAuth,
  refuseIfThrottled,
  sessionAdmin,
  type AuthContext,
} from './auth';
import { ForbiddenError, parseRequest, UnauthorizedError, UnsupportedMediaTypeError } from './errors';

export const ADMIN_UI_PATH = '/admin';
export const ADMIN_SESSION_PATH = '/admin/session';

/**
 * Only the page's own script and stylesheet, no inline code, and Trusted Types so that even a stray
 * `innerHTML` assignment throws instead of parsing markup. No `upgrade-insecure-requests`: the dev
 * stack serves plain HTTP.
 */
const adminUiHelmet: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'object-src': ["'none'"],
      'require-trusted-types-for': ["'script'"],
      'trusted-types': ["'none'"],
    },
  },
});

const SignInBodySchema = z.strictObject({ token: z.string().min(1).max(1024) });

const jsonOnly: RequestHandler = (req, _res, next) => {
  next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError('Sign in with a JSON body: { "token": "…" }.'));
};

/**
 * The admin orders page (`/admin`: HTML, CSS and the bundled script) and its session: `POST
 * /admin/session` trades an admin token for an HttpOnly, SameSite=Strict cookie that the order routes
 * and bull-board accept; `GET /admin/session` says who is signed in; `DELETE /admin/session` signs out.
 * Mount before the global helmet.
 */
export function adminUiRouter({ auth, assets = loadAdminUiAssets() }: { auth: AuthContext; assets?: AdminUiAssets }): Router {
  const router = Router();
  const serve =
    (type: string, body: string): RequestHandler =>
    (_req, res) => {
      res.type(type).setHeader('Cache-Control', 'no-cache');
      res.send(body);
    };

  router.get(ADMIN_UI_PATH, adminUiHelmet, serve('html', assets.html));
  router.get(`${ADMIN_UI_PATH}/app.js`, adminUiHelmet, serve('js', assets.script));
  router.get(`${ADMIN_UI_PATH}/styles.css`, adminUiHelmet, serve('css', assets.css));

  router.post(ADMIN_SESSION_PATH, adminUiHelmet, jsonOnly, express.json({ limit: '2kb', strict: true }), async (req, res) => {
    const { token } = parseRequest(SignInBodySchema, req.body, 'sign-in body');
    refuseIfThrottled(auth, req);
    const principal = identify(token, { admins: auth.credentials.admins });
    const admin = principal?.kind === 'admin' ? auth.credentials.admins.find((candidate) => candidate.name === principal.name) : undefined;
    if (!admin) {
      recordFailedAuth(auth, req, 'sign_in');
      throw new ForbiddenError('That admin token is not valid.');
    }
    await auth.audit.record({ actor: admin.name, action: 'sign_in', outcome: 'signed_in', details: { address: req.ip ?? null } });
    // A browser-session cookie; the value itself also expires (ADMIN_SESSION_TTL_MS).
    res.cookie(ADMIN_SESSION_COOKIE, createSessionValue(admin), { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ name: admin.name });
  });

  router.get(ADMIN_SESSION_PATH, adminUiHelmet, (req, res) => {
    const cookie = readCookie(req.headers.cookie, ADMIN_SESSION_COOKIE);
    const admin = cookie === undefined ? null : sessionAdmin(cookie, auth.credentials.admins);
    if (!admin) throw new UnauthorizedError('Not signed in.');
    res.setHeader('Cache-Control', 'no-store');
    res.json({ name: admin.name });
  });

  router.delete(ADMIN_SESSION_PATH, adminUiHelmet, (req, res) => {
    if (lacksCsrfHeader(req)) throw new ForbiddenError(`Signing out needs the header ${CSRF_HEADER}: ${CSRF_HEADER_VALUE}.`);
    res.clearCookie(ADMIN_SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure });
    res.status(204).end();
  });

  return router;
}
