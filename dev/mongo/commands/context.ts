import type { CommandArgs } from '../args';
import type { CursorRegistry } from '../cursors';
import type { Doc } from '../documents';
import type { QuerySettings } from '../matching';
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
  readonly server: ServerInfo;
  readonly connection: ConnectionInfo;
  /** The command's `$db`. */
  readonly db: string;
  readonly command: Doc;
  readonly args: CommandArgs;
}

/** Handlers are synchronous on purpose: each command runs to completion before the next one starts. */
export type CommandHandler = (ctx: CommandContext) => Doc;

/** `let`, `collation` and `$lookup` resolution shared by the read and write commands. */
export function querySettings(ctx: CommandContext, variables?: Doc): QuerySettings {
  const letVars = variables ?? ctx.args.doc('let');
  const collation = ctx.args.doc('collation');
  return {
    ...(letVars ? { variables: letVars } : {}),
    ...(collation ? { collation } : {}),
  };
}
