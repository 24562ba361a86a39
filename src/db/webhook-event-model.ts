import { Schema, type Connection, type Model } from 'mongoose';

/** A received payment webhook; `webhookId` is the idempotency key, so a replay is recognised. */
export interface WebhookEvent {
  webhookId: string;
  type: string;
  orderId: string | null;
  outcome: 'processed' | 'ignored';
  receivedAt: Date;
}

export type WebhookEventModel = Model<WebhookEvent>;

export const webhookEventSchema = new Schema<WebhookEvent>(
  {
    webhookId: { type: String, required: true },
    type: { type: String, required: true },
    orderId: { type: String, default: null },
    outcome: { type: String, enum: ['processed', 'ignored'], required: true },
    receivedAt: { type: Date, required: true },
  },
  { collection: 'webhook_events', versionKey: false },
);

webhookEventSchema.index({ webhookId: 1 }, { unique: true });
// Replays come within days; keep a month of ids.
webhookEventSchema.index({ receivedAt: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export function webhookEventModel(connection: Connection): WebhookEventModel {
  return (connection.models.WebhookEvent as WebhookEventModel | undefined) ?? connection.model<WebhookEvent>('WebhookEvent', webhookEventSchema);
}
