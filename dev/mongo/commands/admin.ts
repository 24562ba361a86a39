import { calculateObjectSize, Long, UUID } from 'bson';
import type { Doc } from '../documents';
import { CommandError } from '../errors';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_BYTES } from '../wire';
import type { CommandContext, CommandHandler } from './context';

export const SERVER_VERSION = '7.0.0';
const MAX_WIRE_VERSION = 21;
const MAX_WRITE_BATCH_SIZE = 100_000;

/**
 * A standalone server's hello. No `topologyVersion`, so the driver polls instead of using the streaming
 * (awaitable hello) protocol; `logicalSessionTimeoutMinutes` lets it send `lsid`, which is ignored.
 */
function hello(ctx: CommandContext, legacy: boolean): Doc {
  return {
    helloOk: true,
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connection.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
}

function buildInfo(): Doc {
  return {
    version: SERVER_VERSION,
    gitVersion: 'embedded-dev-server',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['embedded'],
    modules: [],
    javascriptEngine: 'none',
    openssl: { running: 'disabled' },
  };
}

const KNOWN_PARAMETERS: Doc = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
  maxBSONDepth: 100,
  cursorTimeoutMillis: Long.fromNumber(600_000),
};

function getParameter(ctx: CommandContext): Doc {
  if (ctx.command.getParameter === '*') return { ...KNOWN_PARAMETERS };
  const asked = Object.keys(ctx.command).filter((key) => key !== 'getParameter' && !key.startsWith('$') && key in KNOWN_PARAMETERS);
  if (asked.length === 0) throw new CommandError('InvalidOptions', 'no option found to get');
  return Object.fromEntries(asked.map((key) => [key, KNOWN_PARAMETERS[key]]));
}

function dbStats(ctx: CommandContext): Doc {
  const collections = ctx.store.collections(ctx.db);
  let objects = 0;
  let dataSize = 0;
  let indexes = 0;
  for (const collection of collections) {
    objects += collection.count;
    indexes += collection.indexSpecs().length;
    for (const doc of collection.documents()) dataSize += calculateObjectSize(doc);
  }
  return { db: ctx.db, collections: collections.length, views: 0, objects, avgObjSize: objects ? dataSize / objects : 0, dataSize, storageSize: dataSize, indexes, indexSize: 0, totalSize: dataSize, scaleFactor: 1 };
}

function serverStatus(ctx: CommandContext): Doc {
  const uptimeMillis = Date.now() - ctx.server.startedAt.getTime();
  return {
    host: ctx.server.host,
    version: SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis: Long.fromNumber(uptimeMillis),
    localTime: new Date(),
    connections: { current: ctx.server.currentConnections(), available: 1_000_000, totalCreated: ctx.server.totalConnections() },
  };
}

/** A standalone mongod refuses transactions; so does this server, rather than pretending they are atomic. */
function noTransactions(): Doc {
  throw new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
}

const harmless: CommandHandler = () => ({});

export const adminCommands: Record<string, CommandHandler> = {
  hello: (ctx) => hello(ctx, false),
  isMaster: (ctx) => hello(ctx, true),
  ismaster: (ctx) => hello(ctx, true),
  ping: harmless,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  endSessions: (ctx) => {
    ctx.sessions.end(ctx.command.endSessions);
    return {};
  },
  killAllSessions: harmless,
  killSessions: harmless,
  refreshSessions: harmless,
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30 }),
  getLastError: (ctx) => ({ n: 0, err: null, connectionId: ctx.connection.id }),
  getlasterror: (ctx) => ({ n: 0, err: null, connectionId: ctx.connection.id }),
  whatsmyuri: (ctx) => ({ you: ctx.connection.remote }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  getCmdLineOpts: () => ({ argv: ['mongod'], parsed: {} }),
  serverStatus,
  dbStats,
  commitTransaction: noTransactions,
  abortTransaction: noTransactions,
};
