import { CommandArgs } from '../args';
import type { Doc } from '../documents';
import { CommandError, writeErrorEntry } from '../errors';
import { matchDocuments } from '../matching';
import type { Collection } from '../store';
import { applyUpdate, buildUpsertDocument, ensureId, parseUpdate, type UpdateSettings } from '../updates';
import { identical } from '../values';
import { querySettings, type CommandContext, type CommandHandler } from './context';
import { checkCommandFields, checkStatementFields } from './fields';

/**
 * Runs each statement of a write command; ordered batches stop at the first failure, unordered ones carry
 * on. Each statement is applied whole or not at all, except a multi-document update, which (as in mongod)
 * keeps the documents it changed before the one that failed.
 */
function runStatements<T>(ctx: CommandContext, statements: T[], run: (statement: T, index: number) => void): Doc[] {
  const ordered = ctx.command.ordered === undefined ? true : ctx.args.bool('ordered');
  const writeErrors: Doc[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      run(statement, index);
    } catch (error) {
      writeErrors.push(writeErrorEntry(index, error));
      if (ordered) break;
    }
  }
  return writeErrors;
}

function withWriteErrors(reply: Doc, writeErrors: Doc[]): Doc {
  return writeErrors.length ? { ...reply, writeErrors } : reply;
}

/** insert: documents arrive as a kind-1 sequence (or in the body); each gets an ObjectId `_id` if missing. */
function insert(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  checkCommandFields(ctx.command, 'insert', { known: ['documents', 'ordered', 'bypassDocumentValidation'] });
  const documents = ctx.args.docArray('documents');
  const bypass = ctx.args.bool('bypassDocumentValidation');
  const { collection } = ctx.store.ensureCollection(ctx.db, name);
  let n = 0;
  // Incoming documents were just deserialised for this command, so the store can own them as they are.
  const writeErrors = runStatements(ctx, documents, (doc) => {
    collection.insert(ensureId(doc), bypass);
    n += 1;
  });
  return withWriteErrors({ n }, writeErrors);
}

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

/** `sort` arrived in MongoDB 8.0 (updateOne/replaceOne); 7.0 has no such field, and neither does this server. */
const UPDATE_STATEMENT = { known: ['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'upsertSupplied'], refused: ['sort'] };

function updateSettings(ctx: CommandContext, statement: Doc, filter: Doc): UpdateSettings {
  const arrayFilters = new CommandArgs(statement, 'update.updates').optionalDocArray('arrayFilters');
  return { ...querySettings(ctx, statement), filter, ...(arrayFilters ? { arrayFilters } : {}) };
}

/** Replaces each document with its updated copy; unchanged documents are not rewritten (nModified). */
function updateMatches(collection: Collection, matches: Doc[], apply: (doc: Doc) => Doc, bypass: boolean): number {
  let modified = 0;
  for (const current of matches) {
    const next = apply(current);
    if (identical(current, next)) continue;
    collection.replace(current, next, bypass);
    modified += 1;
  }
  return modified;
}

function runUpdateStatement(ctx: CommandContext, name: string, statement: Doc): UpdateOutcome {
  const args = new CommandArgs(statement, 'update.updates');
  const filter = args.requiredDoc('q');
  const update = parseUpdate(statement.u);
  const multi = args.bool('multi');
  if (multi && update.kind === 'replacement') throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
  const settings = updateSettings(ctx, statement, filter);
  const bypass = ctx.args.bool('bypassDocumentValidation');
  const existing = ctx.store.collection(ctx.db, name);
  existing?.checkHint(statement.hint);
  const matches = existing ? matchDocuments(existing, filter, settings, multi ? 0 : 1) : [];
  if (matches.length === 0) {
    if (!args.bool('upsert')) return { matched: 0, modified: 0 };
    const doc = buildUpsertDocument(update, settings);
    ctx.store.ensureCollection(ctx.db, name).collection.insert(doc, bypass);
    return { matched: 0, modified: 0, upsertedId: doc._id };
  }
  const collection = existing as Collection;
  const modified = updateMatches(collection, matches, (doc) => applyUpdate(doc, update, settings), bypass);
  return { matched: matches.length, modified };
}

function update(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  checkCommandFields(ctx.command, 'update', { known: ['updates', 'ordered', 'bypassDocumentValidation', 'let'] });
  const statements = ctx.args.docArray('updates');
  // mongod parses every statement before running any: an unknown field fails the whole command.
  for (const statement of statements) checkStatementFields(statement, 'update.updates', UPDATE_STATEMENT);
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  const writeErrors = runStatements(ctx, statements, (statement, index) => {
    const outcome = runUpdateStatement(ctx, name, statement);
    n += outcome.matched;
    nModified += outcome.modified;
    if (outcome.upsertedId !== undefined) {
      n += 1;
      upserted.push({ index, _id: outcome.upsertedId });
    }
  });
  return withWriteErrors({ n, nModified, ...(upserted.length ? { upserted } : {}) }, writeErrors);
}

const DELETE_STATEMENT = { known: ['q', 'limit', 'collation', 'hint'] };

function runDeleteStatement(ctx: CommandContext, name: string, statement: Doc): number {
  const args = new CommandArgs(statement, 'delete.deletes');
  const filter = args.requiredDoc('q');
  const limit = args.number('limit') ?? 0;
  if (limit !== 0 && limit !== 1) throw new CommandError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${limit}`);
  const settings = querySettings(ctx, statement);
  const collection = ctx.store.collection(ctx.db, name);
  if (!collection) return 0;
  collection.checkHint(statement.hint);
  const matches = matchDocuments(collection, filter, settings, limit);
  for (const doc of matches) collection.remove(doc);
  return matches.length;
}

function remove(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  checkCommandFields(ctx.command, 'delete', { known: ['deletes', 'ordered', 'let'] });
  const statements = ctx.args.docArray('deletes');
  for (const statement of statements) checkStatementFields(statement, 'delete.deletes', DELETE_STATEMENT);
  let n = 0;
  const writeErrors = runStatements(ctx, statements, (statement) => {
    n += runDeleteStatement(ctx, name, statement);
  });
  return withWriteErrors({ n }, writeErrors);
}

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: remove,
};
