import type { Doc } from '../documents';
import { CommandError } from '../errors';
import { findDocuments, project } from '../matching';
import { applyUpdate, buildUpsertDocument, parseUpdate, type UpdateSettings } from '../updates';
import { identical } from '../values';
import { querySettings, type CommandContext, type CommandHandler } from './context';
import { checkCommandFields } from './fields';

interface Request {
  name: string;
  query: Doc;
  sort: Doc | undefined;
  fields: Doc | undefined;
  remove: boolean;
  upsert: boolean;
  returnNew: boolean;
}

const FIELDS = {
  known: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'bypassDocumentValidation', 'collation', 'arrayFilters', 'hint', 'let'],
};

function parseRequest(ctx: CommandContext): Request {
  const { args } = ctx;
  checkCommandFields(ctx.command, 'findAndModify', FIELDS);
  const request = {
    name: args.collection(),
    query: args.doc('query') ?? {},
    sort: args.doc('sort'),
    fields: args.doc('fields'),
    remove: args.bool('remove'),
    upsert: args.bool('upsert'),
    returnNew: args.bool('new'),
  };
  const hasUpdate = ctx.command.update !== undefined;
  if (request.remove && hasUpdate) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
  if (!request.remove && !hasUpdate) throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  if (request.remove && request.upsert) throw new CommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  if (request.remove && request.returnNew) throw new CommandError('FailedToParse', 'Cannot specify both new=true and remove=true; \'remove\' always returns the deleted document');
  return request;
}

/**
 * findAndModify: the match, the write and the returned image all happen inside one synchronous call, so
 * concurrent compare-and-set callers see exactly one winner.
 */
function findAndModify(ctx: CommandContext): Doc {
  const request = parseRequest(ctx);
  const settings = querySettings(ctx);
  const bypass = ctx.args.bool('bypassDocumentValidation');
  const collection = ctx.store.collection(ctx.db, request.name);
  collection?.checkHint(ctx.command.hint);
  const current = collection ? findDocuments(collection, { filter: request.query, sort: request.sort, limit: 1 }, settings)[0] : undefined;
  const image = (doc: Doc | undefined): Doc | null => (doc ? project(doc, request.fields, settings, request.query) : null);

  if (request.remove) {
    if (current) collection?.remove(current);
    return { lastErrorObject: { n: current ? 1 : 0 }, value: image(current) };
  }

  const update = parseUpdate(ctx.command.update);
  const arrayFilters = ctx.args.optionalDocArray('arrayFilters');
  const updateSettings: UpdateSettings = { ...settings, filter: request.query, ...(arrayFilters ? { arrayFilters } : {}) };
  if (current && collection) {
    const next = applyUpdate(current, update, updateSettings);
    if (!identical(current, next)) collection.replace(current, next, bypass);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: image(request.returnNew ? next : current) };
  }
  if (!request.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  const doc = buildUpsertDocument(update, updateSettings);
  ctx.store.ensureCollection(ctx.db, request.name).collection.insert(doc, bypass);
  return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: request.returnNew ? image(doc) : null };
}

export const findAndModifyCommands: Record<string, CommandHandler> = {
  findAndModify,
  findandmodify: findAndModify,
};
