/**
 * The types of the vps-provisioner API, generated from openapi.json by openapi-typescript.
 * Do not edit: run `npm run openapi` at the repository root.
 */
export interface paths {
    "/api/orders/{orderId}/provision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Provision or retry one order
         * @description The admin page's Provision/Retry button, and the web app's request to provision an order. Asks through the same decision as a payment: an active order with an IP answers 200 `already_active`; an unpaid one 409 `not_provisionable`; one a live job holds 409 `in_progress`; otherwise a job is enqueued (202). A failed order can always be retried. Send no body (or `{}`); admins may send `{ "now": true }` to run a live job that is waiting out a delay at once (202 `promoted`). Every request is recorded in the audit log.
         */
        post: operations["provisionOrder"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders/provision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry many orders (admins)
         * @description Bulk Retry: up to 500 orders by id, or every order matching a filter (at most 5000). Each order goes through the same decision as one Retry. `dryRun: true` only counts what would happen. Recorded in the audit log.
         */
        post: operations["provisionOrders"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List orders, newest first
         * @description A page of order views, filtered. Pass `nextCursor` back as `cursor` for the next page; it is null on the last.
         */
        get: operations["listOrders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders/{orderId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One order
         * @description The order view: provisioning state, attempt history, the admin button, the live job and the audit entries (never credentials: `hasCredentials` says whether any are stored).
         */
        get: operations["getOrder"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/orders/{orderId}/credentials/reveal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reveal an active order's server credentials
         * @description The only way to read a server's username and password. Call it from the web app's server, for the signed-in customer's own order, and show the answer once: never cache or store it. At most 30 reveals a minute per caller (the app token counts as one caller); each reveal is recorded in the audit log before anything is shown. Takes no body.
         */
        post: operations["revealCredentials"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log, newest first (admins)
         * @description Who did what: provision requests, bulk retries, reveals, payments, recoveries, sign-ins. Pass `nextCursor` back as `cursor` for the next page.
         */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/payments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Payment webhook
         * @description Standard Webhooks: signed with `WEBHOOK_SECRET` (`whsec_…`) over the raw body, timestamp within 5 minutes. `payment.succeeded` marks a pending order paid and asks for its first attempt; any other event type is acknowledged and ignored. The `webhook-id` is the idempotency key: a replay changes nothing and answers `duplicate: true`. An unknown or cancelled order answers 200 with `ignored`; if that order later exists and is pending, a replay of the same `webhook-id` applies the payment once.
         */
        post: operations["receivePaymentWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is signed in */
        get: operations["getAdminSession"];
        put?: never;
        /**
         * Sign in to the admin page
         * @description Trades an admin token, sent once as JSON, for the `vps_admin_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS), valid 12 hours. Failed sign-ins count towards the per-address limit.
         */
        post: operations["createAdminSession"];
        /**
         * Sign out
         * @description Clears the cookie in this browser. Needs `x-requested-with: vps-admin`. Sessions are stateless: ending all of an admin's sessions means rotating that admin's token.
         */
        delete: operations["deleteAdminSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The admin orders page (HTML)
         * @description A static page (with `/admin/app.js` and `/admin/styles.css`) that signs in through `POST /admin/session` and then uses this API with the session cookie.
         */
        get: operations["getAdminPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/queues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * bull-board: the job queues (HTML, admins)
         * @description bull-board's UI; everything under `/admin/queues/` is its own page and API, not part of this contract. Admins only: Bearer, HTTP Basic (any user, an admin token as password), or the admin page's session. Every write under it must come from the same origin (`Sec-Fetch-Site`, else `Origin`); provision jobs cannot be retried, added or edited from it (405 `action_not_allowed`).
         */
        get: operations["getBullBoard"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: MongoDB and Redis answer */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description On the API port unless `METRICS_PORT` gives the metrics a port of their own (then this path answers 404 here).
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["getOpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "order.provisioned": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * An order became active
         * @description Sent to `EVENTS_URL` when it and `EVENTS_SECRET` (`whsec_…`) are set, signed the Standard Webhooks way. Verify the signature over the raw body, deduplicate by `webhook-id` (`evt_<orderId>_<sequence>`, the same on every redelivery), and drop an event whose `data.sequence` is lower than one already applied for that order. Delivery is at least once: anything but a 2xx answer is retried with exponential backoff for at least 24 hours. No event carries credentials.
         */
        post: operations["orderProvisioned"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "order.failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * An order failed
         * @description Sent to `EVENTS_URL` when it and `EVENTS_SECRET` (`whsec_…`) are set, signed the Standard Webhooks way. Verify the signature over the raw body, deduplicate by `webhook-id` (`evt_<orderId>_<sequence>`, the same on every redelivery), and drop an event whose `data.sequence` is lower than one already applied for that order. Delivery is at least once: anything but a 2xx answer is retried with exponential backoff for at least 24 hours. No event carries credentials.
         */
        post: operations["orderFailed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /** @description The order is active: the provider assigned an IP. Credentials are not in the event: reveal them through the API. */
        OrderProvisionedEvent: {
            /** @enum {string} */
            type: "order.provisioned";
            /**
             * Format: date-time
             * @description When the event happened (ISO 8601)
             */
            timestamp: string;
            data: {
                /**
                 * @description The order id (ObjectId, 24 hex characters)
                 * @example 665f1c2e9b1e8a0012345678
                 */
                orderId: string;
                /** @enum {string} */
                provider: "smartvps" | "hostycare";
                /**
                 * @description The server's IP address
                 * @example 203.0.113.10
                 */
                ipAddress: string;
                /** @description Grows with each event of this order: drop an event whose sequence is lower than one already applied for the order */
                sequence: number;
            };
        };
        /** @description Provisioning failed for good (after its retries); an admin can Retry it. */
        OrderFailedEvent: {
            /** @enum {string} */
            type: "order.failed";
            /**
             * Format: date-time
             * @description When the event happened (ISO 8601)
             */
            timestamp: string;
            data: {
                /**
                 * @description The order id (ObjectId, 24 hex characters)
                 * @example 665f1c2e9b1e8a0012345678
                 */
                orderId: string;
                /** @enum {string} */
                provider: "smartvps" | "hostycare";
                /**
                 * @description Why provisioning failed
                 * @example Provider rejected the purchase: plan not available
                 */
                error: string;
                /** @description Grows with each event of this order: drop an event whose sequence is lower than one already applied for the order */
                sequence: number;
            };
        };
        ProvisionAlreadyActive: {
            /** @enum {string} */
            outcome: "already_active";
            orderId: string;
        };
        ProvisionQueued: {
            /** @enum {string} */
            outcome: "queued" | "promoted";
            orderId: string;
            jobId: string;
        };
        Error: {
            /**
             * @description Stable error code
             * @example not_found
             */
            error: string;
            message: string;
            details?: unknown;
        };
        InProgressError: {
            /** @enum {string} */
            error: "in_progress";
            message: string;
            details?: unknown;
            jobId: string;
            /** @enum {string} */
            state: "waiting" | "delayed" | "active" | "prioritized" | "waiting-children";
        };
        BulkProvisionAnswer: {
            dryRun: boolean;
            counts: {
                queued: number;
                already_active: number;
                in_progress: number;
                not_provisionable: number;
                not_found: number;
            };
            results: ({
                orderId: string;
                /** @enum {string} */
                outcome: "queued" | "already_active" | "in_progress" | "not_provisionable" | "not_found";
                jobId?: string;
            } | {
                orderId: string;
                /** @description e.g. queue_unavailable: this order was not requested */
                error: string;
            })[];
        };
        OrderList: {
            orders: components["schemas"]["Order"][];
            nextCursor: string | null;
        };
        Order: {
            id: string;
            /** @enum {string} */
            status: "pending" | "paid" | "confirmed" | "active" | "cancelled";
            /** @enum {string} */
            provider: "smartvps" | "hostycare";
            /** @description The customer's email, when the web app stores one */
            customerEmail: string | null;
            autoProvisioned: boolean;
            /** @enum {string|null} */
            provisioningStatus: "queued" | "provisioning" | "active" | "failed" | null;
            provisioningError: string | null;
            /** Format: date-time */
            lastProvisionAttempt: string | null;
            ipAddress: string | null;
            os: string | null;
            plan: string | null;
            packageName: string | null;
            providerReference: string | null;
            /** Format: date-time */
            nextAttemptAt: string | null;
            attempts: components["schemas"]["Attempt"][];
            /** Format: date-time */
            createdAt: string | null;
            /** Format: date-time */
            updatedAt: string | null;
            /** @description Whether server credentials are stored (they are never returned) */
            hasCredentials: boolean;
            provisionAction: components["schemas"]["ProvisionAction"];
            /** @description The live job holding the order (waiting, delayed or active), or null */
            job: components["schemas"]["ProvisionJob"] | null;
            /** @description The order's audit log entries, newest first (one order's view only) */
            audit?: components["schemas"]["AuditEvent"][];
        };
        Attempt: {
            /** Format: date-time */
            at: string;
            /** @enum {string} */
            reason: "payment" | "admin" | "app" | "recovery";
            jobId: string;
            attempt: number;
            /** @enum {string} */
            outcome: "active" | "retrying" | "failed" | "skipped" | "aborted" | "died";
            error: string | null;
            durationMs: number;
        };
        ProvisionAction: {
            visible: boolean;
            /** @enum {string} */
            label: "Provision" | "Retry";
            /** @enum {string} */
            variant: "default" | "destructive";
            disabled: boolean;
            /** @enum {string} */
            reason?: "in_progress";
        };
        ProvisionJob: {
            id: string;
            /** @enum {string} */
            state: "waiting" | "delayed" | "active" | "prioritized" | "waiting-children";
            attemptsMade: number;
            /** Format: date-time */
            nextAttemptAt: string | null;
        };
        AuditEvent: {
            /** Format: date-time */
            at: string;
            /** @description An admin's name, `app`, `payment`, `sweeper`, or `unknown` (a failed sign-in) */
            actor: string;
            /** @enum {string} */
            action: "provision" | "provision_bulk" | "retry_now" | "credentials_reveal" | "payment" | "recover" | "mark_stalled" | "sign_in" | "sign_in_failed";
            orderId?: string;
            outcome: string;
            details?: {
                [key: string]: unknown;
            };
        };
        ServerCredentials: {
            username: string;
            password: string;
        };
        AuditPage: {
            events: components["schemas"]["AuditEvent"][];
            nextCursor: string | null;
        };
        WebhookAnswer: {
            /** @enum {boolean} */
            received: true;
            duplicate: boolean;
            /** @enum {string} */
            ignored?: "unknown_order" | "order_cancelled" | "unsupported_event";
        };
        PaymentSucceededEvent: {
            /** @enum {string} */
            type: "payment.succeeded";
            timestamp?: string;
            data: {
                /**
                 * @description An order id (ObjectId)
                 * @example 665f1c2e9b1e8a0012345678
                 */
                orderId: string;
                amount?: number;
                currency?: string;
            };
        };
        AdminSession: {
            /** @description The signed-in admin */
            name: string;
        };
        AdminSignIn: {
            /** @description An admin's token */
            token: string;
        };
        Health: {
            /** @enum {string} */
            status: "ok";
        };
        Readiness: {
            /** @enum {string} */
            status: "ready" | "unavailable";
            /** @enum {string} */
            mongo: "ok" | "down";
            /** @enum {string} */
            redis: "ok" | "down";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    provisionOrder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description An order id (ObjectId) */
                orderId: string;
            };
            cookie?: never;
        };
        /** @description None, `{}`, or `{ "now": true }` (admins only) */
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Run the live job now if it is waiting out a delay (backoff, lock wait, next poll) */
                    now?: boolean;
                };
            };
        };
        responses: {
            /** @description The order is already active with an IP; nothing was enqueued. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisionAlreadyActive"];
                };
            };
            /** @description A provision job was enqueued (`queued`), or a delayed live job was run now (`promoted`). */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisionQueued"];
                };
            };
            /** @description An invalid order id or body (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials, `now` from the app token, or the session cookie without the CSRF header (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such order (`not_found`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `in_progress`: a live job holds the order (with its `jobId` and `state`); or `not_provisionable`: the order is not paid (pending or cancelled). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InProgressError"] | components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than 100 kB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not JSON (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `queue_unavailable` (Redis) or `database_unavailable` (MongoDB); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    provisionOrders: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Up to 500 order ids */
                    orderIds: string[];
                    dryRun?: boolean;
                } | {
                    /** @description Every order matching (at most 5000) */
                    filter: {
                        /** @enum {string} */
                        status?: "pending" | "paid" | "confirmed" | "active" | "cancelled";
                        /** @enum {string} */
                        provisioningStatus?: "queued" | "provisioning" | "active" | "failed";
                        /** @enum {string} */
                        provider?: "smartvps" | "hostycare";
                    };
                    dryRun?: boolean;
                };
            };
        };
        responses: {
            /** @description What happened to each order (or, with `dryRun`, what would). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkProvisionAnswer"];
                };
            };
            /** @description An invalid body, or a filter matching more than 5000 orders (`details.matched` says how many) (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials, the app token, or the session cookie without the CSRF header (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than 100 kB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not JSON (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `database_unavailable` (MongoDB); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listOrders: {
        parameters: {
            query?: {
                status?: "pending" | "paid" | "confirmed" | "active" | "cancelled";
                provisioningStatus?: "queued" | "provisioning" | "active" | "failed";
                provider?: "smartvps" | "hostycare";
                /** @description Search: an order id, or the customer's email (exact, case-insensitive) */
                q?: string;
                /** @description Page size, 1 to 100 */
                limit?: number;
                /** @description Opaque cursor from a previous page (`nextCursor`) */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of orders. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OrderList"];
                };
            };
            /** @description An invalid query string (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `database_unavailable` (MongoDB) or `queue_unavailable` (Redis: job states cannot be read); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOrder: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description An order id (ObjectId) */
                orderId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The order view, with `audit`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Order"];
                };
            };
            /** @description An invalid order id (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such order (`not_found`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `database_unavailable` (MongoDB) or `queue_unavailable` (Redis); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    revealCredentials: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description An order id (ObjectId) */
                orderId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The credentials. */
            200: {
                headers: {
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServerCredentials"];
                };
            };
            /** @description An invalid order id, or a body (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials, or the session cookie without the CSRF header (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such order, or it has no credentials (yet): it is not active (`not_found`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than 100 kB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not JSON (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description More than 30 reveals by this caller this minute, or too many failed authentications from this address (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `queue_unavailable` (Redis: reveals cannot be counted) or `database_unavailable` (MongoDB, or the reveal could not be recorded); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listAuditEvents: {
        parameters: {
            query?: {
                /** @description An order id (ObjectId) */
                orderId?: string;
                actor?: string;
                action?: "provision" | "provision_bulk" | "retry_now" | "credentials_reveal" | "payment" | "recover" | "mark_stalled" | "sign_in" | "sign_in_failed";
                /** @description Page size, 1 to 100 */
                limit?: number;
                /** @description Opaque cursor from a previous page (`nextCursor`) */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of audit events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /** @description An invalid query string (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials, or the app token (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `database_unavailable` (MongoDB); nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    receivePaymentWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The message id: the same on every delivery of one message; deduplicate by it */
                "webhook-id": string;
                /** @description Unix seconds when the message was signed */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<id>.<timestamp>.<body>` */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PaymentSucceededEvent"];
            };
        };
        responses: {
            /** @description Received; `duplicate: true` for a replayed `webhook-id`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookAnswer"];
                };
            };
            /** @description A body that is not JSON, or an invalid event (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or bad signature, or a timestamp outside 5 minutes (`invalid_signature`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than 100 kB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `database_unavailable`: nothing was recorded; deliver it again; nothing was changed, try again shortly. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAdminSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The signed-in admin. */
            200: {
                headers: {
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminSession"];
                };
            };
            /** @description Not signed in, or the session expired (`unauthorized`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createAdminSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminSignIn"];
            };
        };
        responses: {
            /** @description Signed in. */
            200: {
                headers: {
                    /** @description `vps_admin_session=v2.<name>.<expiry>.<HMAC>; Path=/; HttpOnly; SameSite=Strict` */
                    "Set-Cookie": string;
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminSession"];
                };
            };
            /** @description An invalid body (`invalid_request`, with zod's issues in `details`; `invalid_json` for a body that is not JSON). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Not an admin token (the app token cannot sign in) (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is larger than 2 kB (`payload_too_large`). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description A body that is not `application/json` (`unsupported_media_type`). */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteAdminSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out (the cookie is cleared). */
            204: {
                headers: {
                    /** @description Clears `vps_admin_session`. */
                    "Set-Cookie": string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request lacks `x-requested-with: vps-admin` (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description An unexpected error (`internal`), without details: the service logs it. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAdminPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
        };
    };
    getBullBoard: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bull-board page. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description No credentials, or a session cookie that expired or is no longer valid (`unauthorized`). */
            401: {
                headers: {
                    /** @description The scheme to authenticate with (when no credentials were sent). */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Wrong credentials, or the app token (`forbidden`). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`). */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again. */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process runs. */
            200: {
                headers: {
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description MongoDB or Redis does not answer (named). */
            503: {
                headers: {
                    /** @description Always `no-store`: never cache this answer. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description METRICS_PORT is set: the metrics are served on that port, not here (`not_found`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getOpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI 3.1 document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    orderProvisioned: {
        parameters: {
            query?: never;
            header: {
                /** @description The message id: the same on every delivery of one message; deduplicate by it */
                "webhook-id": string;
                /** @description Unix seconds when the message was signed */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<id>.<timestamp>.<body>` */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OrderProvisionedEvent"];
            };
        };
        responses: {
            /** @description Delivered: the event is not sent again. */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not delivered: sent again later (the receiver should answer 2xx to a duplicate it already applied). */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not delivered: sent again later. */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    orderFailed: {
        parameters: {
            query?: never;
            header: {
                /** @description The message id: the same on every delivery of one message; deduplicate by it */
                "webhook-id": string;
                /** @description Unix seconds when the message was signed */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<id>.<timestamp>.<body>` */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OrderFailedEvent"];
            };
        };
        responses: {
            /** @description Delivered: the event is not sent again. */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not delivered: sent again later (the receiver should answer 2xx to a duplicate it already applied). */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not delivered: sent again later. */
            "5XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
