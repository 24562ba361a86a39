/**
 * Known gaps against a real MongoDB 7.0 (measured with MongoDB's own CRUD spec tests: see
 * docs/embedded-mongo.md; the project's test suite also runs against a real server via MONGO_URL).
 * What it does not do it refuses with code 2 (BadValue) or 115 and "… is not supported by the embedded
 * MongoDB dev server", rather than ignoring the option or answering differently:
 * - no transactions (code 20, as a standalone mongod), auth, compression, change streams, explain, views,
 *   time-series, capped or clustered collections, $text/geo/$search, tailable cursors, hidden indexes;
 *   sessions exist only as the list `$listLocalSessions` shows;
 * - non-unique indexes are stored but not used (queries scan); a hint must name an existing index, as in
 *   mongod, and hints on sparse or partial indexes are refused (their results would differ);
 * - collations use Node's ICU (Intl.Collator): strength 4–5, backwards, normalization, caseLevel above
 *   strength 1 and maxVariable "space" are refused, as are collations on collections and indexes and,
 *   under a non-simple collation, any query operator or stage mingo would compare binary ($expr, $group by
 *   a field…);
 * - stored numbers keep their BSON types (int32, int64, double), also through update operators; values an
 *   aggregation, a pipeline update or a projection operator computes are int32 or double by value;
 *   int64 beyond 2^53 compares exactly in queries and sorts, not inside aggregation expressions;
 *   $inc/$mul on Decimal128 is refused; the positional projection `a.$` uses the query's top-level
 *   conditions on `a` (not those inside $and/$or);
 * - validators are query documents ($jsonSchema refused); errInfo.details names the validator rather than
 *   explaining which rule failed;
 * - TTL indexes expire documents on a 60 s sweep; createIndexes with several specs is not all-or-nothing;
 * - find cursors re-read each document when a batch is served (a deleted one is skipped, a changed one is
 *   sent as it is now, or skipped if it no longer matches); aggregation cursors hold computed results.
 */
import { WireServer } from './server';

/**
 * An in-process MongoDB stand-in for dev and tests (no mongod binary can be installed here): a TCP server
 * speaking the wire protocol (OP_MSG, plus the OP_QUERY handshake). mingo evaluates queries and pipelines,
 * with MongoDB's comparison rules put in place of its own (query-operators.ts); update operators are this
 * server's own (update-operators.ts). Data lives in memory and is gone on stop(). Never for production.
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
