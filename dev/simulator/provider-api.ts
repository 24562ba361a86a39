import type { ErrorRequestHandler, Request, Response } from 'express';
import type { z } from 'zod';
import type { ResponseFault, SimulatedOp, SimulatorState } from './state';

/** What both simulated provider APIs share with the simulator around them. */
export interface ProviderApiContext {
  state: SimulatorState;
  apiKey: string;
  /**
   * Waits a latency drawn for `op`. Tied to the simulator, not to the request: work the provider has
   * started goes on when the client hangs up. Rejects when the simulator stops.
   */
  delay(op: SimulatedOp): Promise<void>;
  /** Never answers: keeps the response open until the client gives up or the simulator stops. */
  hold(res: Response): void;
}

/** How one provider words the answers every operation may give. */
export interface ProviderReplies {
  /** 503. */
  unavailable(res: Response): void;
  /** 429; `Retry-After` is already set. */
  rateLimited(res: Response, retryAfterSeconds: number): void;
}

/**
 * The arrival of a provider request: counted, then perhaps refused with 429 at once, the way a gateway
 * refuses before the provider does any work. Says whether the request goes on.
 */
export function arrive(ctx: ProviderApiContext, op: SimulatedOp, res: Response, replies: ProviderReplies): boolean {
  ctx.state.countRequest(op);
  if (!ctx.state.drawRateLimit(op)) return true;
  const seconds = ctx.state.retryAfterSeconds();
  res.set('retry-after', String(seconds));
  replies.rateLimited(res, seconds);
  return false;
}

/**
 * The start of a lookup: arrival, then latency. Says whether the client is still waiting; a lookup
 * nobody waits for is dropped so that it cannot draw a fault into later counters.
 */
export async function receive(ctx: ProviderApiContext, op: SimulatedOp, req: Request, res: Response, replies: ProviderReplies): Promise<boolean> {
  if (!arrive(ctx, op, res, replies)) return false;
  await ctx.delay(op);
  return !req.socket.destroyed;
}

/** Answers a fault drawn for a lookup (503, or silence) and says whether it did; buys have their own rules. */
export function answerFault(ctx: ProviderApiContext, res: Response, fault: ResponseFault | undefined, replies: ProviderReplies): boolean {
  if (fault === 'fail') {
    replies.unavailable(res);
    return true;
  }
  if (fault === 'timeout') {
    ctx.hold(res);
    return true;
  }
  return false;
}

/** The operation a request is, for the latency of an answer given before routing (401). */
export function opOf(req: Request): SimulatedOp {
  return req.method === 'POST' ? 'buy' : 'find';
}

/** The field names zod complained about, for validation messages. */
export function invalidFields(error: z.ZodError): string[] {
  return [...new Set(error.issues.map((issue) => issue.path.join('.') || 'body'))];
}

/** The value of a query parameter given once, if any. */
export function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

/** A named route parameter (`:name`), always a single segment in our routes. */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** Renders errors from express itself (bad JSON, a stop during latency) in the provider's error shape. */
export function providerErrorHandler(send: (res: Response, status: number, message: string) => void): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    // The socket is gone after a stop or a client timeout: nobody to answer.
    if (req.socket.destroyed) return;
    const status = statusOf(error);
    send(res, status, status < 500 && error instanceof Error ? error.message : 'internal simulator error');
  };
}

function statusOf(error: unknown): number {
  if (error && typeof error === 'object' && 'status' in error && typeof error.status === 'number') return error.status;
  return 500;
}
