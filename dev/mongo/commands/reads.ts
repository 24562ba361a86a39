import { readNumber } from '../args';
import { canonicalKey, valuesAtPath, type Doc } from '../documents';
import { CommandError, notSupported } from '../errors';
import type { BatchResult, ServeDocument } from '../cursors';
import { collectionResolver, compileFilter, findDocuments, matchDocuments, project, queryDocument, type QuerySettings } from '../matching';
import type { Collection } from '../store';
import { numericKind, toDouble, valuesEqual } from '../values';
import { runAggregate } from './aggregate';
import { querySettings, type CommandContext, type CommandHandler } from './context';
import { checkCommandFields } from './fields';

export function cursorReply(ns: string, result: BatchResult, first: boolean): Doc {
  return { cursor: { id: result.id, ns, [first ? 'firstBatch' : 'nextBatch']: result.batch } };
}

function nonNegative(ctx: CommandContext, field: string): number | undefined {
  const value = ctx.args.number(field);
  if (value !== undefined && value < 0) throw new CommandError('BadValue', `BSON field '${field}' value must be >= 0, actual value '${value}'`);
  return value;
}

const FIND_FIELDS = {
  known: ['filter', 'projection', 'sort', 'skip', 'limit', 'batchSize', 'singleBatch', 'hint', 'collation', 'let', 'allowDiskUse', 'noCursorTimeout', 'allowPartialResults', 'readOnce'],
  refused: ['tailable', 'awaitData', 'oplogReplay', 'min', 'max', 'returnKey', 'showRecordId', 'ntoreturn'],
};

/**
 * How a find cursor serves a held result: the document as stored now, if it still exists and still
 * matches, projected. A dropped collection kills the cursor, as in mongod.
 */
function findServer(ctx: CommandContext, collection: Collection, filter: Doc, projection: Doc | undefined, settings: QuerySettings): ServeDocument {
  const query = Object.keys(filter).length ? compileFilter(filter, settings) : undefined;
  return (held) => {
    if (ctx.store.collection(collection.db, collection.name) !== collection) {
      throw new CommandError('QueryPlanKilled', `collection dropped. UUID ${collection.uuid.toHexString()}`);
    }
    const current = collection.byId(held._id);
    if (!current) return undefined;
    if (current !== held && query && !query.test(queryDocument(current))) return undefined;
    return project(current, projection, settings, filter);
  };
}

/** find: matches, sorts and windows now; each batch re-reads its documents when it is served. */
function find(ctx: CommandContext): Doc {
  const { args } = ctx;
  const name = args.collection();
  checkCommandFields(ctx.command, 'find', FIND_FIELDS);
  const ns = `${ctx.db}.${name}`;
  let limit = args.number('limit') ?? 0;
  // Legacy negative limit (and the driver's findOne) means "one batch of |limit| documents".
  let singleBatch = args.bool('singleBatch');
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const batchSize = nonNegative(ctx, 'batchSize');
  const filter = args.doc('filter') ?? {};
  const projection = args.doc('projection');
  const spec = { filter, sort: args.doc('sort'), skip: nonNegative(ctx, 'skip'), limit };
  const settings = querySettings(ctx);
  const collection = ctx.store.collection(ctx.db, name);
  collection?.checkHint(ctx.command.hint);
  const docs = collection ? findDocuments(collection, spec, settings) : [];
  const serve = collection ? findServer(ctx, collection, filter, projection, settings) : undefined;
  const batch = batchSize === undefined ? {} : { batchSize: Math.min(batchSize, limit || batchSize) };
  return cursorReply(ns, ctx.cursors.open(ns, docs, { ...batch, singleBatch, ...(serve ? { serve } : {}) }), true);
}

function cursorId(value: unknown): number {
  return readNumber(value, () => new CommandError('TypeMismatch', "Field 'getMore' must be of type long")) ?? 0;
}

function getMore(ctx: CommandContext): Doc {
  checkCommandFields(ctx.command, 'getMore', { known: ['collection', 'batchSize', 'lastKnownCommittedOpTime'] });
  const id = cursorId(ctx.command.getMore);
  const collection = ctx.args.string('collection');
  if (!collection) throw new CommandError('Location40414', "BSON field 'getMore.collection' is missing but a required field");
  const ns = `${ctx.db}.${collection}`;
  const result = ctx.cursors.getMore(id, ns, ctx.args.number('batchSize'));
  return cursorReply(ns, result, false);
}

function killCursors(ctx: CommandContext): Doc {
  ctx.args.collection();
  const ids = ctx.command.cursors;
  if (!Array.isArray(ids)) throw new CommandError('TypeMismatch', "BSON field 'killCursors.cursors' is the wrong type, expected type 'array'");
  const { killed, notFound } = ctx.cursors.kill((ids as unknown[]).map(cursorId));
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
}

const COUNT_FIELDS = { known: ['query', 'limit', 'skip', 'hint', 'collation', 'fields'] };

function count(ctx: CommandContext): Doc {
  checkCommandFields(ctx.command, 'count', COUNT_FIELDS);
  const collection = ctx.store.collection(ctx.db, ctx.args.collection());
  const settings = querySettings(ctx);
  if (!collection) return { n: 0 };
  collection.checkHint(ctx.command.hint);
  const query = ctx.args.doc('query') ?? {};
  const skip = nonNegative(ctx, 'skip') ?? 0;
  const limit = Math.abs(ctx.args.number('limit') ?? 0);
  const total = Object.keys(query).length === 0 ? collection.count : matchDocuments(collection, query, settings).length;
  const afterSkip = Math.max(0, total - skip);
  return { n: limit ? Math.min(limit, afterSkip) : afterSkip };
}

const DISTINCT_FIELDS = { known: ['key', 'query', 'collation'] };

/** distinct: array values contribute their elements, like mongod; under a collation, equal strings collapse. */
function distinct(ctx: CommandContext): Doc {
  checkCommandFields(ctx.command, 'distinct', DISTINCT_FIELDS);
  const collection = ctx.store.collection(ctx.db, ctx.args.collection());
  const key = ctx.args.string('key');
  if (!key) throw new CommandError('Location40414', "BSON field 'distinct.key' is missing but a required field");
  const settings = querySettings(ctx);
  if (!collection) return { values: [] };
  const values = new Map<string, unknown>();
  const collated: unknown[] = [];
  for (const doc of matchDocuments(collection, ctx.args.doc('query') ?? {}, settings)) {
    for (const value of valuesAtPath(doc, key)) {
      if (value === undefined) continue;
      if (settings.strings) {
        if (!collated.some((seen) => valuesEqual(seen, value, settings.strings))) collated.push(value);
      } else {
        values.set(canonicalKey(value), value);
      }
    }
  }
  return { values: settings.strings ? collated : [...values.values()] };
}

const AGGREGATE_FIELDS = {
  known: ['pipeline', 'cursor', 'allowDiskUse', 'bypassDocumentValidation', 'collation', 'hint', 'let', 'fromMongos', 'needsMerge'],
  refused: ['explain', 'exchange', 'isMapReduceCommand'],
};

/** aggregate on a collection (or `aggregate: 1` for collection-less pipelines such as `$documents`). */
function aggregate(ctx: CommandContext): Doc {
  const target = ctx.command.aggregate;
  const collectionless = numericKind(target) !== undefined && toDouble(target) === 1;
  const name = collectionless ? undefined : ctx.args.collection();
  checkCommandFields(ctx.command, 'aggregate', AGGREGATE_FIELDS);
  if (ctx.command.explain !== undefined) throw notSupported('explain');
  const pipeline = ctx.args.docArray('pipeline');
  const cursorOptions = ctx.args.doc('cursor');
  if (!cursorOptions) throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const batchSize = readNumber(cursorOptions.batchSize, () => new CommandError('TypeMismatch', 'cursor.batchSize must be a number'));
  const settings = { ...querySettings(ctx), resolveCollection: collectionResolver((other) => ctx.store.collection(ctx.db, other)) };
  const collection = name === undefined ? undefined : ctx.store.collection(ctx.db, name);
  collection?.checkHint(ctx.command.hint);
  const docs = runAggregate(ctx, collection, pipeline, settings);
  const ns = name === undefined ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${name}`;
  return cursorReply(ns, ctx.cursors.open(ns, docs, batchSize === undefined ? {} : { batchSize }), true);
}

export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  aggregate,
  count,
  distinct,
};
