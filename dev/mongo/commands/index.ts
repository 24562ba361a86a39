import { Double } from 'bson';
import { CommandArgs } from '../args';
import type { CursorRegistry } from '../cursors';
import type { Doc } from '../documents';
import { CommandError, errorReply } from '../errors';
import type { SessionRegistry } from '../sessions';
import type { Store } from '../store';
import { adminCommands } from './admin';
import { catalogCommands } from './catalog';
import type { CommandHandler, ConnectionInfo, ServerInfo } from './context';
import { findAndModifyCommands } from './find-and-modify';
import { readCommands } from './reads';
import { writeCommands } from './writes';

export type { ConnectionInfo, ServerInfo } from './context';

/** A Map, so command names such as `constructor` or `__proto__` cannot reach Object.prototype. */
const HANDLERS = new Map<string, CommandHandler>(
  Object.entries({ ...adminCommands, ...writeCommands, ...findAndModifyCommands, ...readCommands, ...catalogCommands }),
);

/** Every command name this server answers (for documentation and tests). */
export const SUPPORTED_COMMANDS: readonly string[] = [...HANDLERS.keys()];

/** Commands a client may send over legacy OP_QUERY (mongod ≥ 6 accepts only the handshake there). */
export const OP_QUERY_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

export interface Dispatch {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly sessions: SessionRegistry;
  readonly server: ServerInfo;
  readonly connection: ConnectionInfo;
}

function rejectTransactions(command: Doc): void {
  if (command.startTransaction !== undefined || command.autocommit !== undefined) {
    throw new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
  }
}

function runHandler(dispatch: Dispatch, db: string, command: Doc): Doc {
  const name = Object.keys(command)[0];
  const handler = name === undefined ? undefined : HANDLERS.get(name);
  if (name === undefined || !handler) {
    throw new CommandError('CommandNotFound', `no such command: '${name ?? ''}'`);
  }
  rejectTransactions(command);
  dispatch.sessions.touch(command.lsid);
  // $clusterTime, txnNumber, readConcern, writeConcern, $readPreference… are accepted and ignored.
  return handler({ ...dispatch, db, command, args: new CommandArgs(command, name) });
}

/**
 * Runs one command and always returns a reply document: handler errors (and mingo/bson failures
 * underneath) become `{ ok: 0, errmsg, code, codeName }`, never an exception.
 */
export function runCommand(dispatch: Dispatch, db: string | undefined, command: Doc): Doc {
  try {
    if (db === undefined) throw new CommandError('Location40571', 'OP_MSG requests require a $db argument');
    const reply = runHandler(dispatch, db, command);
    return { ...reply, ok: new Double(1) };
  } catch (error) {
    return errorReply(error);
  }
}
