import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { MongoServerError, MongoServerSelectionError } from 'mongodb';
import { isDatabaseUnavailable } from '../../src/db/errors';

// The driver's own class (not exported from its index), as it throws it when a server monitor times out under a running command.
const { PoolClearedOnNetworkError } = jest.requireActual<{ PoolClearedOnNetworkError: new (pool: { address: string; serverGeneration: number }) => Error }>(
  'mongodb/lib/cmap/errors',
);

/** What Node gives a write to a socket whose peer has closed it: the driver passes it on unwrapped. */
async function writeAfterPeerClosed(): Promise<Error> {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    await once(socket, 'end');
    const failed = once(socket, 'error');
    socket.write('ping');
    const [error] = (await failed) as [Error];
    return error;
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('isDatabaseUnavailable', () => {
  it('a replica set between primaries (not primary, stepped down, interrupted by a state change), but not a bad request', () => {
    for (const code of [10107, 189, 11602, 91]) expect(isDatabaseUnavailable(new MongoServerError({ code, errmsg: 'not primary' }))).toBe(true);
    expect(isDatabaseUnavailable(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' }))).toBe(false);
    expect(isDatabaseUnavailable(new MongoServerError({ code: 14, errmsg: 'TypeMismatch' }))).toBe(false);
  });

  it('a command on a connection the server had just closed (Node EPIPE, unwrapped by the driver)', async () => {
    const error = await writeAfterPeerClosed();
    expect((error as NodeJS.ErrnoException).code).toBe('EPIPE');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

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
