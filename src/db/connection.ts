import mongoose, { type Connection } from 'mongoose';
import { auditEventModel, type AuditEventModel } from '../audit/audit-log';
import { createMongoOrderState } from '../order-state/mongo-order-state';
import type { OrderState } from '../order-state/order-state';
import { orderModel, type OrderModel } from './order-model';
import { webhookEventModel, type WebhookEventModel } from './webhook-event-model';

export interface Database {
  connection: Connection;
  orders: OrderModel;
  /** Every write of an order's provisioning state goes through here. */
  orderState: OrderState;
  webhookEvents: WebhookEventModel;
  auditEvents: AuditEventModel;
  close(): Promise<void>;
}

/**
 * Connects to MongoDB and makes sure the indexes exist. Operations fail fast (no buffering) so a
 * MongoDB outage answers 503 instead of hanging requests.
 */
export async function connectDatabase(url: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<Database> {
  const connection = await mongoose
    .createConnection(url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
      // A MongoDB that stops answering (a network partition, a hung proxy) must not hold requests and
      // jobs forever: a socket with no answer for this long fails, and the monitor notices sooner.
      socketTimeoutMS: 10_000,
      connectTimeoutMS: 5_000,
      heartbeatFrequencyMS: 5_000,
      bufferCommands: false,
      autoIndex: false,
    })
    .asPromise();
  const orders = orderModel(connection);
  const webhookEvents = webhookEventModel(connection);
  const auditEvents = auditEventModel(connection);
  await Promise.all([orders.createIndexes(), webhookEvents.createIndexes(), auditEvents.createIndexes()]);
  return {
    connection,
    orders,
    orderState: createMongoOrderState(orders),
    webhookEvents,
    auditEvents,
    close: () => connection.close(),
  };
}
