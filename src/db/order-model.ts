import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';
import { ORDER_EVENT_TYPES, type AttemptRecord, type OutboxEvent } from '../order-state/order-state';
import {
  ATTEMPT_OUTCOMES,
  ATTEMPT_REASONS,
  ORDER_STATUSES,
  PROVIDER_NAMES,
  PROVISIONING_STATUSES,
  type AttemptReason,
  type OrderStatus,
  type ProviderName,
  type ProvisioningStatus,
} from '../domain/statuses';

/** One provisioning attempt, as the order's history shows it. */
export type Attempt = AttemptRecord;

export interface Order {
  _id: Types.ObjectId;
  // Written by the web app.
  status: OrderStatus;
  provider: ProviderName;
  autoProvisioned: boolean;
  provisioningStatus: ProvisioningStatus | null;
  provisioningError: string | null;
  lastProvisionAttempt: Date | null;
  ipAddress: string | null;
  os: string;
  plan: string;
  packageName: string | null;
  customerEmail?: string | null;
  // Owned by the provisioning system.
  /** The provider's purchase id, set the moment a purchase is accepted; a retry resumes it instead of buying. */
  providerReference: string | null;
  /** Bumped when the provider fails a purchase, so a retry buys anew under a new idempotency key. */
  purchaseGeneration: number;
  attempts: Attempt[];
  nextAttemptAt: Date | null;
  /** Fencing counter: bumped when an attempt takes the order; every later write of that attempt is conditional on it. */
  fence: number;
  /** Attempts that died with their worker (stalled jobs) since the order last settled. */
  attemptDeaths: number;
  /** When provisioning was last asked for (payment, admin, recovery); the sweeper finds unfinished orders by it. */
  provisionRequestedAt: Date | null;
  provisionReason: AttemptReason | null;
  /** Events for the web app not delivered yet (see order-state.ts: OutboxEvent). */
  outbox: OutboxEvent[];
  /** Server credentials, AES-256-GCM encrypted (see provisioning/credentials-cipher.ts). */
  credentialsEncrypted: string | null;
  paidAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type OrderDocument = HydratedDocument<Order>;
export type OrderModel = Model<Order>;

const attemptSchema = new Schema<Attempt>(
  {
    at: { type: Date, required: true },
    reason: { type: String, enum: ATTEMPT_REASONS, required: true },
    jobId: { type: String, required: true },
    attempt: { type: Number, required: true },
    outcome: { type: String, enum: ATTEMPT_OUTCOMES, required: true },
    error: { type: String, default: null },
    durationMs: { type: Number, required: true },
  },
  { _id: false },
);

const outboxEventSchema = new Schema<OutboxEvent>(
  {
    id: { type: String, required: true },
    type: { type: String, enum: ORDER_EVENT_TYPES, required: true },
    sequence: { type: Number, required: true },
    at: { type: Date, required: true },
    ipAddress: { type: String },
    error: { type: String },
  },
  { _id: false },
);

export const orderSchema = new Schema<Order>(
  {
    status: { type: String, enum: ORDER_STATUSES, required: true, default: 'pending' },
    provider: { type: String, enum: PROVIDER_NAMES, required: true },
    autoProvisioned: { type: Boolean, default: false },
    provisioningStatus: { type: String, enum: [...PROVISIONING_STATUSES, null], default: null },
    provisioningError: { type: String, default: null },
    lastProvisionAttempt: { type: Date, default: null },
    ipAddress: { type: String, default: null },
    os: { type: String, required: true },
    plan: { type: String, required: true },
    packageName: { type: String, default: null },
    customerEmail: { type: String, default: null },
    providerReference: { type: String, default: null },
    purchaseGeneration: { type: Number, default: 0 },
    attempts: { type: [attemptSchema], default: [] },
    nextAttemptAt: { type: Date, default: null },
    fence: { type: Number, default: 0 },
    attemptDeaths: { type: Number, default: 0 },
    provisionRequestedAt: { type: Date, default: null },
    provisionReason: { type: String, enum: [...ATTEMPT_REASONS, null], default: null },
    outbox: { type: [outboxEventSchema], default: undefined },
    credentialsEncrypted: { type: String, default: null, select: false },
    paidAt: { type: Date, default: null },
  },
  { collection: 'orders', timestamps: true, versionKey: false },
);

// The sweeper: unfinished orders by provisioning status and age.
orderSchema.index({ provisioningStatus: 1, updatedAt: 1 });
// The sweeper: events not delivered yet, by age.
orderSchema.index({ 'outbox.at': 1 }, { sparse: true });
// The admin page's search by the customer's email.
orderSchema.index({ customerEmail: 1 }, { sparse: true });
// The order list: newest first, optionally filtered.
orderSchema.index({ status: 1, _id: -1 });
orderSchema.index({ provisioningStatus: 1, _id: -1 });
orderSchema.index({ provider: 1, _id: -1 });

/** The Order model bound to a connection (each process or test owns its connection). */
export function orderModel(connection: Connection): OrderModel {
  return (connection.models.Order as OrderModel | undefined) ?? connection.model<Order>('Order', orderSchema);
}
