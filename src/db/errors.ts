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
 * Server answers of a replica set between primaries (an election, a step-down, a shutdown): not the
 * request's fault, and over as soon as a new primary is elected. The driver retries a retryable read or
 * write once; when that meets the same, the request answers 503 and a worker step is put off.
 */
const NO_PRIMARY_CODES = new Set([
  10107, // NotWritablePrimary
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  189, // PrimarySteppedDown
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  91, // ShutdownInProgress
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
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
  if (typeof code === 'number' && NO_PRIMARY_CODES.has(code) && name.startsWith('Mongo')) return true;
  // With bufferCommands off, mongoose refuses operations on a connection that is not open.
  return name === 'MongooseError' && /initial connection|connection .*closed|Client must be connected/i.test(String(message));
}
