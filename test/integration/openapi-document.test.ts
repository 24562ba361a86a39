import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument, SECURITY } from '../../src/api/openapi';

/**
 * The OpenAPI document's shape: what the web app's client is generated from. The contract test
 * (client-contract.test.ts) checks the answers against it; `npm run check:client` lints it.
 */

const COMMITTED = join(__dirname, '..', '..', 'clients', 'typescript', 'openapi.json');

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  tags?: string[];
  responses: Record<string, unknown>;
}

const document = openApiDocument() as unknown as {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }>;
    schemas: Record<string, { properties: { data: { properties: Record<string, unknown> } } }>;
  };
};

const operations = (items: Record<string, Record<string, Operation>> = {}) =>
  Object.entries(items).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));

describe('the OpenAPI document', () => {
  it('is the committed one the client was generated from (else: npm run openapi, and commit)', () => {
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(document);
  });

  it('documents every route, each with an operationId, a tag and its security (empty on open routes)', () => {
    const found = operations(document.paths).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(found.sort()).toEqual(
      [
        'POST /api/orders/{orderId}/provision',
        'POST /api/orders/provision',
        'GET /api/orders',
        'GET /api/orders/{orderId}',
        'POST /api/orders/{orderId}/credentials/reveal',
        'GET /api/audit',
        'POST /api/webhooks/payments',
        'POST /admin/session',
        'GET /admin/session',
        'DELETE /admin/session',
        'GET /admin',
        'GET /admin/queues',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /api/openapi.json',
      ].sort(),
    );
    const all = [...operations(document.paths), ...operations(document.webhooks)];
    const ids = all.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(all.length);
    for (const { path, method, operation } of all) {
      expect([path, method, typeof operation.operationId, Array.isArray(operation.security), operation.tags?.length]).toEqual([path, method, 'string', true, 1]);
    }
    expect(document.servers?.length).toBeGreaterThan(0);
  });

  it('says which credentials each route takes: admin and app tokens, the session (with its CSRF header on writes)', () => {
    const schemes = document.components.securitySchemes;
    expect(schemes[SECURITY.adminToken]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes[SECURITY.appToken]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes[SECURITY.adminSession]).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'vps_admin_session' });
    expect(schemes[SECURITY.adminSessionCsrf]).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Requested-With' });
    expect(schemes[SECURITY.adminBasic]).toMatchObject({ type: 'http', scheme: 'basic' });

    const security = (method: string, path: string) =>
      (document.paths[path]?.[method]?.security ?? []).map((requirement) => Object.keys(requirement).sort().join('+')).sort();
    const appToo = ['adminSession+adminSessionCsrf', 'adminToken', 'appToken'];
    expect(security('post', '/api/orders/{orderId}/provision')).toEqual(appToo);
    expect(security('post', '/api/orders/{orderId}/credentials/reveal')).toEqual(appToo);
    expect(security('get', '/api/orders')).toEqual(['adminSession', 'adminToken', 'appToken']);
    expect(security('get', '/api/orders/{orderId}')).toEqual(['adminSession', 'adminToken', 'appToken']);
    expect(security('post', '/api/orders/provision')).toEqual(['adminSession+adminSessionCsrf', 'adminToken']);
    expect(security('get', '/api/audit')).toEqual(['adminSession', 'adminToken']);
    expect(security('get', '/admin/queues')).toEqual(['adminBasic', 'adminSession', 'adminToken']);
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/openapi.json', '/admin', '/api/webhooks/payments']) {
      const method = path === '/api/webhooks/payments' ? 'post' : 'get';
      expect([path, document.paths[path]?.[method]?.security]).toEqual([path, []]);
    }
  });

  it('lists the events sent to EVENTS_URL, without credentials', () => {
    expect(Object.keys(document.webhooks ?? {}).sort()).toEqual(['order.failed', 'order.provisioned']);
    const { schemas } = document.components;
    expect(Object.keys(schemas.OrderProvisionedEvent?.properties.data.properties ?? {})).toEqual(['orderId', 'provider', 'ipAddress', 'sequence']);
    expect(Object.keys(schemas.OrderFailedEvent?.properties.data.properties ?? {})).toEqual(['orderId', 'provider', 'error', 'sequence']);
  });
});
