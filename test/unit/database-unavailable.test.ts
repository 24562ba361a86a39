import { MongoServerSelectionError } from 'mongodb';
import { isDatabaseUnavailable } from '../../src/db/errors';

// The driver's own class (not exported from its index), as it throws it when a server monitor times out under a running command.
const { PoolClearedOnNetworkError } = jest.requireActual<{ PoolClearedOnNetworkError: new (pool: { address: string; serverGeneration: number }) => Error }>(
  'mongodb/lib/cmap/errors',
);

describe('isDatabaseUnavailable', () => {
  it('a pool cleared under a command because the server monitor timed out', () => {
    const error = new PoolClearedOnNetworkError({ address: '127.0.0.1:27017', serverGeneration: 0 });
    expect(error.name).toBe('PoolClearedOnNetworkError');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('no server to select', () => {
    expect(isDatabaseUnavailable(new MongoServerSelectionError('Server selection timed out after 5000 ms', {} as never))).toBe(true);
  });

  it('not a request that was wrong, nor any other failure', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('E11000 duplicate key error'), { name: 'MongoServerError', code: 11000 }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('EPIPE')).toBe(false);
  });
});
