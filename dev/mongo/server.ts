import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CursorRegistry } from './cursors';
import type { Doc } from './documents';
import { CommandError, errorReply } from './errors';
import { OP_QUERY_COMMANDS, runCommand, type Dispatch, type ServerInfo } from './commands';
import { SessionRegistry } from './sessions';
import { Store } from './store';
import {
  decodeMessage,
  encodeMsgReply,
  encodeOpReply,
  MessageFramer,
  serializeReply,
  type QueryRequest,
  type WireRequest,
} from './wire';

/** mongod's TTL monitor period. */
const TTL_SWEEP_MS = 60_000;

/**
 * The TCP side: one framer per connection, and every message handled synchronously as it completes, so
 * replies leave in request order and no two commands ever interleave.
 */
export class WireServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly store = new Store();
  private readonly cursors = new CursorRegistry();
  private readonly sessions = new SessionRegistry();
  private readonly info: ServerInfo;
  private connectionsCreated = 0;
  private nextResponseId = 1;
  private ttlTimer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  constructor(host: string) {
    this.server = createServer((socket) => this.accept(socket));
    const sockets = this.sockets;
    const created = () => this.connectionsCreated;
    this.info = { startedAt: new Date(), host, currentConnections: () => sockets.size, totalConnections: created };
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        // After listening, errors are per-accept (e.g. EMFILE); they must not crash the hosting process.
        this.server.on('error', () => undefined);
        resolve();
      });
    });
    // unref: the sweep must never be what keeps a process (or a jest worker) alive.
    this.ttlTimer = setInterval(() => this.store.expire(Date.now()), TTL_SWEEP_MS).unref();
    return this.server.address() as AddressInfo;
  }

  /** Destroys every client socket, then closes the listener; safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      clearInterval(this.ttlTimer);
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      this.cursors.clear();
      this.sessions.clear();
      this.store.clear();
      this.server.close(() => resolve());
    });
    return this.closed;
  }

  private accept(socket: Socket): void {
    this.connectionsCreated += 1;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const framer = new MessageFramer();
    const dispatch: Dispatch = {
      store: this.store,
      cursors: this.cursors,
      sessions: this.sessions,
      server: this.info,
      connection: { id: this.connectionsCreated, remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}` },
    };
    socket.on('data', (chunk: Buffer) => this.receive(socket, framer, dispatch, chunk));
    // A reset client is routine (processes get killed); it must never take the server down.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private receive(socket: Socket, framer: MessageFramer, dispatch: Dispatch, chunk: Buffer): void {
    try {
      for (const message of framer.push(chunk)) {
        if (socket.destroyed) return;
        const reply = this.handle(dispatch, decodeMessage(message));
        if (reply) socket.write(reply);
      }
    } catch {
      // Malformed framing or BSON: drop this connection only, as mongod does.
      socket.destroy();
    }
  }

  private handle(dispatch: Dispatch, request: WireRequest): Buffer | undefined {
    const responseId = this.nextResponseId++;
    if (request.kind === 'query') return encodeOpReply(responseId, request.requestId, serialize(this.legacyCommand(dispatch, request)));
    const db = request.command.$db;
    const reply = runCommand(dispatch, typeof db === 'string' ? db : undefined, request.command);
    if (request.moreToCome) return undefined;
    return encodeMsgReply(responseId, request.requestId, serialize(reply));
  }

  /** mongod ≥ 6 serves only the handshake over OP_QUERY; the driver uses it before it knows the wire version. */
  private legacyCommand(dispatch: Dispatch, request: QueryRequest): Doc {
    const [db = '', rest] = request.collection.split(/\.(.*)/s);
    const name = Object.keys(request.command)[0] ?? '';
    if (rest !== '$cmd' || !OP_QUERY_COMMANDS.has(name)) {
      return errorReply(new CommandError('UnsupportedOpQueryCommand', `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`));
    }
    return runCommand(dispatch, db, request.command);
  }
}

/** Serialises a reply; one too large for BSON becomes an error reply instead of a dropped connection. */
function serialize(reply: Doc): Uint8Array {
  try {
    return serializeReply(reply);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return serializeReply(errorReply(new CommandError('BSONObjectTooLarge', `reply could not be serialised: ${message}`)));
  }
}
