import type { CommandArgs } from '../args';
import type { CursorRegistry } from '../cursors';
import { parseCollation } from '../collation';
import { isPlainObject, type Doc } from '../documents';
import { evaluateVariables, type QuerySettings } from '../matching';
import type { SessionRegistry } from '../sessions';
import type { Store } from '../store';

/** What a command handler may know about the connection it arrived on. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
}

/** Server-wide facts for hello/serverStatus. */
export interface ServerInfo {
  readonly startedAt: Date;
  readonly host: string;
  currentConnections(): number;
  totalConnections(): number;
}

export interface CommandContext {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly sessions: SessionRegistry;
  readonly server: ServerInfo;
  readonly connection: ConnectionInfo;
  /** The command's `$db`. */
  readonly db: string;
  readonly command: Doc;
  readonly args: CommandArgs;
}

/** Handlers are synchronous on purpose: each command runs to completion before the next one starts. */
export type CommandHandler = (ctx: CommandContext) => Doc;

/**
 * `let` (evaluated once per command) and the collation, shared by the read and write commands. Write
 * statements carry their own collation (and update statements their own constants, `c`).
 */
export function querySettings(ctx: CommandContext, statement?: Doc): QuerySettings {
  const letVars = evaluateVariables(ctx.args.doc('let'));
  const constants = statement && isPlainObject(statement.c) ? statement.c : undefined;
  const variables = letVars || constants ? { ...letVars, ...constants } : undefined;
  const strings = parseCollation((statement ?? ctx.command).collation);
  return {
    ...(variables ? { variables } : {}),
    ...(strings ? { strings } : {}),
  };
}
