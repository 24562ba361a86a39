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
