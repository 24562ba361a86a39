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
 * MongoDB is unreachable or not answering (an outage, a failover): the API answers 503, a worker puts
 * the job off without using an attempt. Duck-typed by name: errors may come from another realm (jest).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'name' in error)) return false;
  const { name, message } = error as Error;
  const constructorName = (error as { constructor?: { name?: string } }).constructor?.name;
  if (CONNECTIVITY_ERRORS.has(name) || (constructorName && CONNECTIVITY_ERRORS.has(constructorName))) return true;
  // With bufferCommands off, mongoose refuses operations on a connection that is not open.
  return name === 'MongooseError' && /initial connection|connection .*closed|Client must be connected/i.test(String(message));
}
