import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../db/errors';
import { AppError, DatabaseUnavailableError, ProvisionInProgressError } from '../domain/errors';

/** 400: an id, query string or body did not match its schema; `details` are zod's issues. */
export class InvalidRequestError extends AppError {
  override readonly name = 'InvalidRequestError';
  readonly code = 'invalid_request';
  readonly status = 400;
}

export class UnauthorizedError extends AppError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'unauthorized';
  readonly status = 401;
}

export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  readonly code = 'forbidden';
  readonly status = 403;
}

/** 429: slow down; `retryAfterSeconds` goes into the Retry-After header. */
export class TooManyRequestsError extends AppError {
  override readonly name = 'TooManyRequestsError';
  readonly code = 'too_many_requests';
  readonly status = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class InvalidSignatureError extends AppError {
  override readonly name = 'InvalidSignatureError';
  readonly code = 'invalid_signature';
  readonly status = 401;
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'unsupported_media_type';
  readonly status = 415;
}

export class InvalidJsonError extends AppError {
  override readonly name = 'InvalidJsonError';
  readonly code = 'invalid_json';
  readonly status = 400;
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
  [extra: string]: unknown;
}

/** Zod issues without the rejected input, so an answer never echoes what the caller sent. */
export function zodDetails(error: z.ZodError): { path: (string | number)[]; code: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
    code: issue.code,
    message: issue.message,
  }));
}

/** Parses `value` with `schema` or throws a 400 `invalid_request` naming what is wrong. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`Invalid ${what}.`, zodDetails(parsed.error));
  return parsed.data;
}

/** The `type` body-parser (raw-body, http-errors) puts on its errors. */
const BODY_PARSER_ERRORS: Record<string, { status: number; error: string; message: string }> = {
  'entity.too.large': { status: 413, error: 'payload_too_large', message: 'The request body is larger than 100 kB.' },
  'entity.parse.failed': { status: 400, error: 'invalid_json', message: 'The request body is not valid JSON.' },
  'encoding.unsupported': { status: 415, error: 'unsupported_media_type', message: 'Unsupported content encoding.' },
  'charset.unsupported': { status: 415, error: 'unsupported_media_type', message: 'Unsupported charset.' },
  'request.aborted': { status: 400, error: 'request_aborted', message: 'The request was aborted before its body was read.' },
  'request.size.invalid': { status: 400, error: 'invalid_request', message: 'The request body does not match its Content-Length.' },
  'parameters.too.many': { status: 413, error: 'payload_too_large', message: 'Too many parameters.' },
};

const STATUS_CODES: Record<number, string> = { 400: 'invalid_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type' };

function statusOf(error: object): number | undefined {
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

/** Maps anything thrown by a route to its status and JSON body. Unknown errors are 500 without details. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody; unexpected: boolean } {
  if (error instanceof ProvisionInProgressError) {
    return { status: error.status, body: { error: error.code, message: error.message, jobId: error.jobId, state: error.state }, unexpected: false };
  }
  if (error instanceof AppError) {
    const body: ErrorBody = { error: error.code, message: error.message };
    // A 5xx's details are for the log, not the caller (they may name internals).
    if (error.details !== undefined && error.status < 500) body.details = error.details;
    return { status: error.status, body, unexpected: false };
  }
  if (error instanceof z.ZodError) {
    return { status: 400, body: { error: 'invalid_request', message: 'Invalid request.', details: zodDetails(error) }, unexpected: false };
  }
  if (error instanceof Error) {
    const type = 'type' in error && typeof error.type === 'string' ? error.type : undefined;
    const known = type ? BODY_PARSER_ERRORS[type] : undefined;
    if (known) return { status: known.status, body: { error: known.error, message: known.message }, unexpected: false };
    if (isDatabaseUnavailable(error)) {
      const mapped = new DatabaseUnavailableError('The database (MongoDB) is unavailable; nothing was changed. Try again shortly.');
      return { status: mapped.status, body: { error: mapped.code, message: mapped.message }, unexpected: false };
    }
    // Client errors from express or the router (http-errors, or a URIError for a malformed %-escape).
    const status = statusOf(error);
    if (status !== undefined && status < 500) {
      const message = 'expose' in error && error.expose === true ? error.message : 'The request is malformed.';
      return { status, body: { error: STATUS_CODES[status] ?? 'invalid_request', message }, unexpected: false };
    }
  }
  return { status: 500, body: { error: 'internal', message: 'Internal server error.' }, unexpected: true };
}

/** The one place errors become JSON answers. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, body, unexpected } = toErrorResponse(error);
    if (error instanceof TooManyRequestsError) res.setHeader('Retry-After', String(Math.max(1, error.retryAfterSeconds)));
    if (unexpected) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'unhandled error in request');
    else if (status >= 500) logger.warn({ err: error, method: req.method, url: req.originalUrl, code: body.error }, 'request failed: dependency unavailable');
    res.status(status).json(body);
  };
}

export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ error: 'not_found', message: 'No such route.' });
};
