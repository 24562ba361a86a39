import { z } from 'zod';
import { presentedSecret, secretsEqual } from '../../src/api/auth';
import { InvalidRequestError, toErrorResponse } from '../../src/api/errors';
import { encodeCursor, ListOrdersQuerySchema } from '../../src/api/schemas';
import { NotProvisionableError, ProvisionInProgressError, QueueUnavailableError } from '../../src/domain/errors';

describe('presentedSecret', () => {
  it('reads Bearer tokens, and Basic passwords only where allowed', () => {
    expect(presentedSecret('Bearer abc', false)?.secret).toBe('abc');
    expect(presentedSecret('bearer abc', false)?.secret).toBe('abc');
    const basic = `Basic ${Buffer.from('any user:pa:ss').toString('base64')}`;
    expect(presentedSecret(basic, true)).toEqual({ secret: 'pa:ss', scheme: 'basic' });
    expect(presentedSecret(basic, false)).toBeNull();
  });

  it.each([undefined, '', 'Bearer', 'Bearer a b', 'Token abc', `Basic ${Buffer.from('no-colon').toString('base64')}`])('%p → null', (header) => {
    expect(presentedSecret(header, true)).toBeNull();
  });
});

describe('secretsEqual', () => {
  it('compares whole secrets of any length', () => {
    expect(secretsEqual('token-1234567890', 'token-1234567890')).toBe(true);
    expect(secretsEqual('token-123456789', 'token-1234567890')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });
});

describe('list cursor', () => {
  it('round-trips an ObjectId and is not the id itself', () => {
    const id = '665f1c2e9b1e8a0012345678';
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(id);
    expect(ListOrdersQuerySchema.parse({ cursor })).toEqual({ cursor: id, limit: 20 });
  });

  it('rejects anything else', () => {
    expect(ListOrdersQuerySchema.safeParse({ cursor: 'abc' }).success).toBe(false);
    expect(ListOrdersQuerySchema.safeParse({ cursor: '665f1c2e9b1e8a0012345678' }).success).toBe(false);
  });
});

describe('toErrorResponse', () => {
  it('maps application errors to their code and status', () => {
    expect(toErrorResponse(new NotProvisionableError('Order is pending.'))).toMatchObject({ status: 409, body: { error: 'not_provisionable', message: 'Order is pending.' } });
    expect(toErrorResponse(new ProvisionInProgressError('busy', 'job-1', 'waiting')).body).toEqual({ error: 'in_progress', message: 'busy', jobId: 'job-1', state: 'waiting' });
    expect(toErrorResponse(new InvalidRequestError('Invalid id.', [{ path: ['orderId'] }])).body).toEqual({ error: 'invalid_request', message: 'Invalid id.', details: [{ path: ['orderId'] }] });
  });

  it('keeps the details of 5xx errors out of the answer', () => {
    expect(toErrorResponse(new QueueUnavailableError('down', { cause: 'ECONNREFUSED 127.0.0.1:6379' })).body).toEqual({ error: 'queue_unavailable', message: 'down' });
  });

  it('maps zod errors to 400 with issues but without the input', () => {
    const parsed = z.object({ limit: z.number() }).safeParse({ limit: 'secret-value' });
    if (parsed.success) throw new Error('expected a failure');
    const { status, body } = toErrorResponse(parsed.error);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('secret-value');
  });

  it('maps body-parser errors by type', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true });
    expect(toErrorResponse(tooLarge)).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    const badJson = Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 });
    expect(toErrorResponse(badJson)).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
  });

  it('maps MongoDB connectivity errors to 503 database_unavailable', () => {
    const error = new Error('Server selection timed out after 1000 ms');
    error.name = 'MongooseServerSelectionError';
    expect(toErrorResponse(error)).toMatchObject({ status: 503, body: { error: 'database_unavailable' } });
  });

  it('answers anything else with a bare 500', () => {
    const { status, body, unexpected } = toErrorResponse(new TypeError('x is undefined'));
    expect({ status, body, unexpected }).toEqual({ status: 500, body: { error: 'internal', message: 'Internal server error.' }, unexpected: true });
  });
});
