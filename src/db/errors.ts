/** MongoDB driver / mongoose errors that mean "the database did not answer", not "the request was bad". */
const CONNECTIVITY_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  // The pool was cleared under a command because the server monitor timed out (a MongoNetworkError).
  'PoolClearedOnNetworkError',
  'MongoExpiredSessionError',
  'MongoOperationTimeoutError',
  'MongoWaitQueueTimeoutError',
]);

/**
 * A connection the server (or the network) closed, as the driver lets it through unwrapped: a command
 * written to a pooled connection whose socket the server had just ended (a restart, an election closing
 * client connections, a proxy going away) fails with Node's own EPIPE, not a MongoNetworkError.
 */
const CONNECTION_LOST_CODES = new Set(['EPIPE', 'ECONNRESET']);

/**
 * MongoDB is unreachable or not answering (an outage, a failover): the API answers 503, a worker puts
 * the job off without using an attempt. Duck-typed by name: errors may come from another realm (jest).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'name' in error)) return false;
  const { name, message } = error as Error;
  const constructorName = (error as { constructor?: { name?: string } }).constructor?.name;
  if (CONNECTIVITY_ERRORS.has(name) || (constructorName && CONNECTIVITY_ERRORS.has(constructorName))) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
  // With bufferCommands off, mongoose refuses operations on a connection that is not open.
  return name === 'MongooseError' && /initial connection|connection .*closed|Client must be connected/i.test(String(message));
}
