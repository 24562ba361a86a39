import { Webhook } from 'standardwebhooks';
import { waitFor } from './wait-for';

/** One try of a webhook delivery, as the sender saw it. */
export interface DeliveryTry {
  /** HTTP status, or 0 when no answer came (connection error, or the sender's timeout). */
  status: number;
  /** The answer's `error` code, when it had one. */
  error: string | undefined;
  startedAt: number;
  ms: number;
}

export interface Delivery {
  orderId: string;
  webhookId: string;
  tries: DeliveryTry[];
  /** When a try was answered 2xx; null while the sender still retries (or gave up). */
  deliveredAt: number | null;
}

export interface PaymentSender {
  /** Delivers a signed `payment.succeeded` for the order, again and again until a 2xx (or `giveUpAfterMs`). */
  pay(orderId: string): Promise<Delivery>;
  readonly deliveries: Delivery[];
}

export interface PaymentSenderOptions {
  apiUrl: string;
  secret: string;
  /** The first wait after a non-2xx; doubled after each until `maxRetryDelayMs`. */
  firstRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** A try with no answer after this long counts as failed (what a sender's HTTP timeout does). */
  tryTimeoutMs?: number;
  giveUpAfterMs?: number;
}

/**
 * A payment provider as Standard Webhooks describes it: each event signed with the shared secret,
 * delivered under one `webhook-id` and retried with exponential backoff until it is answered 2xx. Every
 * try is kept, so a test can say what the API answered while something was down.
 */
export function createPaymentSender(options: PaymentSenderOptions): PaymentSender {
  const webhook = new Webhook(options.secret);
  const firstDelay = options.firstRetryDelayMs ?? 250;
  const maxDelay = options.maxRetryDelayMs ?? 2_000;
  const tryTimeoutMs = options.tryTimeoutMs ?? 30_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 120_000;
  const deliveries: Delivery[] = [];

  async function deliverOnce(delivery: Delivery): Promise<DeliveryTry> {
    const payload = JSON.stringify({ type: 'payment.succeeded', data: { orderId: delivery.orderId, amount: 12, currency: 'EUR' } });
    const at = new Date();
    const startedAt = Date.now();
    try {
      const res = await fetch(`${options.apiUrl}/api/webhooks/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': delivery.webhookId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': webhook.sign(delivery.webhookId, at, payload),
        },
        body: payload,
        signal: AbortSignal.timeout(tryTimeoutMs),
      });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      return { status: res.status, error: body.error, startedAt, ms: Date.now() - startedAt };
    } catch (error) {
      return { status: 0, error: (error as Error).name, startedAt, ms: Date.now() - startedAt };
    }
  }

  return {
    deliveries,
    async pay(orderId) {
      const delivery: Delivery = { orderId, webhookId: `msg_${orderId}`, tries: [], deliveredAt: null };
      deliveries.push(delivery);
      const giveUpAt = Date.now() + giveUpAfterMs;
      let delay = firstDelay;
      for (;;) {
        const attempt = await deliverOnce(delivery);
        delivery.tries.push(attempt);
        if (attempt.status >= 200 && attempt.status < 300) {
          delivery.deliveredAt = Date.now();
          return delivery;
        }
        if (Date.now() + delay > giveUpAt) return delivery;
        const retryAt = Date.now() + delay;
        await waitFor(() => Date.now() >= retryAt, { timeoutMs: delay + 1_000, intervalMs: Math.min(50, delay) });
        delay = Math.min(maxDelay, delay * 2);
      }
    },
  };
}
