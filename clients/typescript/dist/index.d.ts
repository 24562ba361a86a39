import { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths, webhooks } from './schema';
export type { components, operations, paths, webhooks } from './schema';
type Schemas = components['schemas'];
/** An order as the service shows it: provisioning state, attempts, the admin button, the live job; never credentials. */
export type Order = Schemas['Order'];
export type OrderList = Schemas['OrderList'];
export type ProvisionAttempt = Schemas['Attempt'];
export type ProvisionJob = Schemas['ProvisionJob'];
export type ProvisionAction = Schemas['ProvisionAction'];
/** 202 from `POST /api/orders/{orderId}/provision`: a job was enqueued (`queued`) or run now (`promoted`). */
export type ProvisionQueued = Schemas['ProvisionQueued'];
/** 200 from `POST /api/orders/{orderId}/provision`: the order is already active; nothing was enqueued. */
export type ProvisionAlreadyActive = Schemas['ProvisionAlreadyActive'];
export type BulkProvisionAnswer = Schemas['BulkProvisionAnswer'];
/** The answer of `POST /api/orders/{orderId}/credentials/reveal`: show it once, never cache or store it. */
export type ServerCredentials = Schemas['ServerCredentials'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditPage = Schemas['AuditPage'];
/** Every error answer: `{ error: <code>, message, details? }`. */
export type ApiError = Schemas['Error'];
/** 409 `in_progress`: a live job holds the order. */
export type InProgressError = Schemas['InProgressError'];
export type PaymentSucceededEvent = Schemas['PaymentSucceededEvent'];
export type WebhookAnswer = Schemas['WebhookAnswer'];
/** The body of an `order.provisioned` event sent to EVENTS_URL. */
export type OrderProvisionedEvent = Schemas['OrderProvisionedEvent'];
/** The body of an `order.failed` event sent to EVENTS_URL. */
export type OrderFailedEvent = Schemas['OrderFailedEvent'];
/** Any event the service sends to EVENTS_URL; switch on `type`. */
export type OrderEvent = OrderProvisionedEvent | OrderFailedEvent;
/** The names of the events, as the OpenAPI document's `webhooks` lists them. */
export type OrderEventType = keyof webhooks;
/** The typed client: `client.GET('/api/orders/{orderId}', { params: { path: { orderId } } })` and so on. */
export type ProvisionerClient = Client<paths>;
export interface ProvisionerClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
    /** Where the service listens, e.g. `http://provisioner.internal:3000` (no path). */
    baseUrl: string;
    /** `APP_TOKEN` (the web app's server) or an admin's token; sent as `Authorization: Bearer`. Never give it to a browser. */
    token?: string;
    /** Extra headers for every request. */
    headers?: Record<string, string>;
}
/**
 * A typed client for the provisioning service (openapi-fetch over the service's OpenAPI document).
 * Requests are never cached (`cache: 'no-store'` unless you pass another `cache`): every answer is
 * live state, and a credentials reveal must never be kept.
 */
export declare function createProvisionerClient({ baseUrl, token, headers, ...options }: ProvisionerClientOptions): ProvisionerClient;
