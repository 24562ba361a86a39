import type { ErrorRequestHandler, Request, Response } from 'express';
import type { z } from 'zod';
import type { FaultKind, SimulatedOp, SimulatorState } from './state';

/** What both simulated provider APIs share with the simulator around them. */
export interface ProviderApiContext {
  state: SimulatorState;
  apiKey: string;
  /** Waits the configured latency; rejects when the simulator stops. */
  delay(): Promise<void>;
  /** Never answers: keeps the response open until the client gives up or the simulator stops. */
  hold(res: Response): void;
}

/**
 * The start of every simulated provider request: counted, then delayed. Says whether the client is
 * still waiting; a lookup nobody waits for is dropped so that it cannot draw a fault into later counters.
 */
export async function receive(ctx: ProviderApiContext, op: SimulatedOp, req: Request): Promise<boolean> {
  ctx.state.countRequest(op);
  await ctx.delay();
  return !req.socket.destroyed;
}

/** Answers a fault drawn for a lookup (503, or silence) and says whether it did; buys have their own rules. */
export function answerFault(ctx: ProviderApiContext, res: Response, fault: FaultKind | undefined, unavailable: () => void): boolean {
  if (fault === 'fail') {
    unavailable();
    return true;
  }
  if (fault === 'timeout') {
    ctx.hold(res);
    return true;
  }
  return false;
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
