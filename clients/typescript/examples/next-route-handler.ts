/**
 * Example: the web app's Next.js (App Router) route handler
 * `app/api/orders/[id]/credentials/route.ts`, which reveals the server credentials of the signed-in
 * customer's own order. The customer's page calls it (POST) when they press "Show password" and shows
 * the answer once; nothing caches it on the way.
 */
import { createProvisionerClient } from '@vps-provisioner/client';

// Your sign-in: NextAuth's `auth()`, Clerk's `currentUser()`… (declared so that the example type-checks).
declare function getSignedInCustomer(request: Request): Promise<{ email: string } | null>;

const baseUrl = process.env.PROVISIONER_URL;
const token = process.env.PROVISIONER_APP_TOKEN;
if (!baseUrl || !token) throw new Error('Set PROVISIONER_URL and PROVISIONER_APP_TOKEN (the service APP_TOKEN): server-side only.');

/** One client for the server process. The token stays on the server: never in a NEXT_PUBLIC_ variable. */
const provisioner = createProvisionerClient({ baseUrl, token });

// Never prerendered, never cached by Next.js.
export const dynamic = 'force-dynamic';

const NO_STORE = { 'Cache-Control': 'no-store' };
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => Response.json(body, { status, headers: { ...NO_STORE, ...headers } });

export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const customer = await getSignedInCustomer(request);
  if (!customer) return answer(401, { error: 'unauthorized' });
  const { id } = await params;
  if (!/^[0-9a-f]{24}$/i.test(id)) return answer(404, { error: 'not_found' });

  // Only the customer's own order (this reads the service; your own orders collection would do as well).
  const order = await provisioner.GET('/api/orders/{orderId}', { params: { path: { orderId: id } } });
  if (!order.data || order.data.customerEmail !== customer.email.toLowerCase()) return answer(404, { error: 'not_found' });
  if (!order.data.hasCredentials) return answer(409, { error: 'not_ready', message: 'Your server is not ready yet.' });

  const { data, error, response } = await provisioner.POST('/api/orders/{orderId}/credentials/reveal', {
    params: { path: { orderId: id } },
    cache: 'no-store',
  });
  if (data) return answer(200, { ipAddress: order.data.ipAddress, username: data.username, password: data.password });
  if (response.status === 404) return answer(409, { error: 'not_ready', message: 'Your server is not ready yet.' });
  if (response.status === 429) return answer(429, { error: 'slow_down' }, { 'Retry-After': response.headers.get('Retry-After') ?? '60' });
  // Never log the answer of a reveal; the error code is enough.
  console.error(`credentials reveal for order ${id} failed: ${response.status} ${error?.error ?? ''}`);
  return answer(502, { error: 'unavailable', message: 'Please try again in a minute.' });
}
