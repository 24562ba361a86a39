import express, { Router, type Request } from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { RouteDeps } from '../app';
import { InvalidJsonError, InvalidRequestError, InvalidSignatureError, parseRequest } from '../errors';
import { PaymentSucceededEventSchema, WebhookEnvelopeSchema, type WebhookAnswer } from '../schemas';
import { recordPayment } from '../payment-webhook';

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function signatureHeaders(req: Request): Record<(typeof SIGNATURE_HEADERS)[number], string> {
  const [id, timestamp, signature] = SIGNATURE_HEADERS.map((name) => req.headers[name]);
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string' || !id || !timestamp || !signature) {
    throw new InvalidSignatureError(`Missing Standard Webhooks headers: ${SIGNATURE_HEADERS.join(', ')} are required.`);
  }
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

/**
 * Payment webhooks (Standard Webhooks): verified over the raw body, then parsed. The signature is
 * checked before anything about the payload is looked at, so unsigned requests learn nothing.
 */
export function webhooksRouter(deps: RouteDeps): Router {
  const webhook = new Webhook(deps.config.webhookSecret);
  const { metrics } = deps;
  const router = Router();
  // Any content type: the signature covers the bytes, whatever the sender called them.
  const rawBody = express.raw({ type: () => true, limit: '100kb' });

  router.post('/api/webhooks/payments', rawBody, async (req, res) => {
    const payload = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let headers: ReturnType<typeof signatureHeaders>;
    try {
      headers = signatureHeaders(req);
      webhook.verify(payload, headers, { jsonParse: false });
    } catch (error) {
      metrics.webhooks.inc({ outcome: 'invalid_signature' });
      if (error instanceof InvalidSignatureError) throw error;
      if (error instanceof WebhookVerificationError) {
        throw new InvalidSignatureError(`Webhook signature verification failed: ${error.message}.`);
      }
      throw error;
    }

    let event: unknown;
    try {
      event = JSON.parse(payload.toString('utf8'));
    } catch {
      metrics.webhooks.inc({ outcome: 'invalid_payload' });
      throw new InvalidJsonError('The webhook body is not valid JSON.');
    }
    let answer: WebhookAnswer;
    try {
      const { type } = parseRequest(WebhookEnvelopeSchema, event, 'webhook event');
      if (type !== 'payment.succeeded') {
        metrics.webhooks.inc({ outcome: 'unsupported_event' });
        res.json({ received: true, duplicate: false, ignored: 'unsupported_event' } satisfies WebhookAnswer);
        return;
      }
      const payment = parseRequest(PaymentSucceededEventSchema, event, 'payment.succeeded event');
      answer = await recordPayment(deps, { webhookId: headers['webhook-id'], type, orderId: payment.data.orderId });
    } catch (error) {
      if (error instanceof InvalidRequestError) metrics.webhooks.inc({ outcome: 'invalid_payload' });
      throw error;
    }
    res.json(answer);
  });

  return router;
}
