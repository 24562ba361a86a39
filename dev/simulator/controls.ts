import express, { type ErrorRequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { PROVIDER_NAMES } from '../../src/providers/types';
import { describeFaults, FaultsPatchSchema } from './faults';
import type { SimulatorState } from './state';

// The simulator's own routes, under /__sim. Dev only, no auth.

const ForgetBodySchema = z.strictObject({
  orderReference: z.string().min(1),
  provider: z.enum(PROVIDER_NAMES).optional(),
});

/** The control API: stats, faults, reset, and the one-shot forget. */
export function controls(state: SimulatorState): Router {
  const router = express.Router();
  router.use(express.json());
  router.get('/stats', (_req, res) => {
    res.json(state.stats());
  });
  router.get('/faults', (_req, res) => {
    res.json(describeFaults(state.faults));
  });
  router.post('/faults', (req, res) => {
    const parsed = FaultsPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, 'invalid_faults', 'The faults are not valid; nothing was changed.', parsed.error);
    res.json(describeFaults(state.setFaults(parsed.data)));
  });
  router.post('/reset', (_req, res) => {
    state.reset();
    res.status(204).end();
  });
  // For tests that need the provider to lose one particular purchase now, not by chance on a status call.
  router.post('/forget', (req, res) => {
    const parsed = ForgetBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, 'invalid_forget', 'Expected { orderReference, provider? }; nothing was forgotten.', parsed.error);
    res.json({ forgotten: state.forget(parsed.data.orderReference, parsed.data.provider) });
  });
  router.use(controlErrorHandler);
  return router;
}

function invalid(res: Response, error: string, message: string, zodError: z.ZodError): void {
  const details = zodError.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  res.status(400).json({ error, message, details });
}

/** Malformed JSON bodies and the like, in the same shape as a validation error. */
const controlErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = error && typeof error === 'object' && 'status' in error && typeof error.status === 'number' ? error.status : 500;
  const message = error instanceof Error ? error.message : 'internal simulator error';
  res.status(status).json({ error: status < 500 ? 'bad_request' : 'internal', message, details: [] });
};
