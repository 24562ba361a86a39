/**
 * Example: the web app's receiver of the service's order events, a Next.js route handler at
 * `app/api/provisioner/events/route.ts`, with EVENTS_URL pointing at it and EVENTS_SECRET shared.
 * It verifies the signature over the raw body, deduplicates by `webhook-id`, never goes back (an event
 * older than one already applied for the order is dropped) and answers 2xx to every event it has dealt
 * with, duplicates included: anything else is delivered again, for a day.
 */
import type { OrderEvent } from '@vps-provisioner/client';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

// Your storage, in collections of the web app's own (declared so that the example type-checks).
declare const store: {
  /** Whether this webhook-id was applied already: `findOne({ _id: webhookId })`. */
  applied(webhookId: string): Promise<boolean>;
  /** The highest sequence applied for the order, or 0: `findOne({ _id: orderId })?.sequence ?? 0`. */
  lastSequence(orderId: string): Promise<number>;
  /** Records the webhook-id and raises the order's sequence: `insertOne({ _id: webhookId })` (E11000 is fine) and `updateOne({ _id: orderId }, { $max: { sequence } }, { upsert: true })`. */
  markApplied(webhookId: string, orderId: string, sequence: number): Promise<void>;
};
declare function tellCustomer(event: OrderEvent): Promise<void>;

const secret = process.env.PROVISIONER_EVENTS_SECRET;
if (!secret) throw new Error('Set PROVISIONER_EVENTS_SECRET: the service EVENTS_SECRET (whsec_…).');
const webhook = new Webhook(secret);

export const dynamic = 'force-dynamic';

export async function POST(request: Request): Promise<Response> {
  // The raw body: the signature covers these exact bytes (do not parse and re-serialize first).
  const body = await request.text();
  let event: OrderEvent;
  try {
    event = webhook.verify(body, Object.fromEntries(request.headers)) as OrderEvent;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return new Response('invalid signature', { status: 401 });
    throw error;
  }
  const webhookId = request.headers.get('webhook-id') as string; // verify() checked it is there

  if (await store.applied(webhookId)) return new Response(null, { status: 204 }); // a redelivery
  // Older news than what was applied for this order (say, a failure delivered after the success of a
  // later Retry) is dropped. The order's status, IP and error are in the shared orders collection
  // already (the service wrote them before sending): the event is the moment to tell the customer.
  if (event.data.sequence > (await store.lastSequence(event.data.orderId))) await tellCustomer(event);
  // Recorded after the work: a crash before this line means one more delivery, not a lost event.
  await store.markApplied(webhookId, event.data.orderId, event.data.sequence);
  return new Response(null, { status: 204 });
}
