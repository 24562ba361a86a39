/**
 * Errors the API maps to its JSON answers (`{ error: code, message }`) in one place. Each has a
 * stable `code` and an HTTP status.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly details?: unknown;

  constructor(message: string, details?: unknown) {
    super(message);
    this.details = details;
  }
}

export class OrderNotFoundError extends AppError {
  override readonly name = 'OrderNotFoundError';
  readonly code = 'not_found';
  readonly status = 404;
}

export class NotProvisionableError extends AppError {
  override readonly name = 'NotProvisionableError';
  readonly code = 'not_provisionable';
  readonly status = 409;
}

export class ProvisionInProgressError extends AppError {
  override readonly name = 'ProvisionInProgressError';
  readonly code = 'in_progress';
  readonly status = 409;

  constructor(
    message: string,
    readonly jobId: string,
    readonly state: string,
  ) {
    super(message);
  }
}

/** Redis (the queue) did not answer; nothing was changed. */
export class QueueUnavailableError extends AppError {
  override readonly name = 'QueueUnavailableError';
  readonly code = 'queue_unavailable';
  readonly status = 503;
}

/** MongoDB did not answer; nothing was changed. */
export class DatabaseUnavailableError extends AppError {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'database_unavailable';
  readonly status = 503;
}

/** A newer attempt took the order (the fencing counter moved on): this attempt must stop writing. */
export class StaleAttemptError extends Error {
  override readonly name = 'StaleAttemptError';
  readonly code = 'stale_attempt';
}

/** The package lock was lost before the buy: the attempt aborts without buying. */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  readonly code = 'lock_lost';
}
