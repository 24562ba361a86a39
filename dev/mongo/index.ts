/**
 * Known gaps against a real MongoDB (none matters to this project's queries; the test suite also runs
 * against a real server via MONGO_URL):
 * - no transactions (refused with code 20, as a standalone mongod does), auth, compression, change
 *   streams, explain, views, $out/$merge, $text or geo queries, tailable cursors;
 * - non-unique indexes are stored but not used: such queries scan the collection;
 * - numbers come back as int32 or double whatever BSON type they were stored as; Long above 2^53 and
 *   Decimal128 do not compare numerically;
 * - TTL indexes expire documents on a 60 s sweep; validators, capped collections and collation are not
 *   enforced; createIndexes with several specs is not all-or-nothing; cursors snapshot their results.
 */
import { WireServer } from './server';

/**
 * An in-process MongoDB stand-in for dev and tests (no mongod binary can be installed here): a TCP server
 * speaking the wire protocol (OP_MSG, plus the OP_QUERY handshake), with mingo supplying query, update
 * and aggregation semantics. Data lives in memory and is gone on stop(). Never for production.
 */
export interface EmbeddedMongo {
  /** `mongodb://<host>:<port>/` — append a database name. */
  uri: string;
  port: number;
  /** Destroys all client sockets and closes the listener. */
  stop(): Promise<void>;
}

export { SUPPORTED_COMMANDS } from './commands';

export async function startEmbeddedMongo(options: { port?: number; host?: string } = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const server = new WireServer(host);
  const { port } = await server.listen(options.port ?? 0, host);
  const uriHost = host.includes(':') ? `[${host}]` : host;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    port,
    stop: () => server.close(),
  };
}
