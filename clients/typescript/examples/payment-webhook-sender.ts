/**
 * Example: telling the service that an order was paid, from the web app's server (for instance in its
 * handler of the payment provider's own webhook). A Standard Webhooks-signed `payment.succeeded`,
 * signed with the service's WEBHOOK_SECRET.
 */
import { Webhook } from 'standardwebhooks';

const baseUrl = process.env.PROVISIONER_URL;
const secret = process.env.PROVISIONER_WEBHOOK_SECRET;
if (!baseUrl || !secret) throw new Error('Set PROVISIONER_URL and PROVISIONER_WEBHOOK_SECRET (the service WEBHOOK_SECRET, whsec_…).');
const webhook = new Webhook(secret);

/**
 * `paymentId` is the payment provider's id of the payment: the webhook id is made from it, so sending
 * the same payment again (a retry after a timeout) is recognised as a duplicate and changes nothing.
 */
export async function reportPayment(orderId: string, paymentId: string, amount: number, currency: string): Promise<void> {
  const id = `pay_${paymentId}`;
  const at = new Date();
  const body = JSON.stringify({ type: 'payment.succeeded', timestamp: at.toISOString(), data: { orderId, amount, currency } });
  const response = await fetch(`${baseUrl}/api/webhooks/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, at, body),
    },
    body,
    cache: 'no-store',
  });
  // 200: recorded (or a duplicate, or ignored: see the answer). 503: nothing was recorded, send it again later.
  if (!response.ok) throw new Error(`The provisioning service answered ${response.status}: ${await response.text()}`);
}
