import { readNumber } from '../args';
import { canonicalKey, valuesAtPath, type Doc } from '../documents';
import { CommandError } from '../errors';
import type { BatchResult } from '../cursors';
import { aggregateDocuments, collectionResolver, findDocuments, matchDocuments } from '../matching';
import { querySettings, type CommandContext, type CommandHandler } from './context';

export function cursorReply(ns: string, result: BatchResult, first: boolean): Doc {
  return { cursor: { id: result.id, ns, [first ? 'firstBatch' : 'nextBatch']: result.batch } };
}

function nonNegative(ctx: CommandContext, field: string): number | undefined {
  const value = ctx.args.number(field);
  if (value !== undefined && value < 0) throw new CommandError('BadValue', `BSON field '${field}' value must be >= 0, actual value '${value}'`);
  return value;
}

/** find: materialises the results and hands them to a cursor (first batch 101 unless batchSize says). */
function find(ctx: CommandContext): Doc {
  const { args } = ctx;
  const name = args.collection();
  const ns = `${ctx.db}.${name}`;
  let limit = args.number('limit') ?? 0;
  // Legacy negative limit (and the driver's findOne) means "one batch of |limit| documents".
  let singleBatch = args.bool('singleBatch');
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const batchSize = nonNegative(ctx, 'batchSize');
  const spec = { filter: args.doc('filter') ?? {}, sort: args.doc('sort'), projection: args.doc('projection'), skip: nonNegative(ctx, 'skip'), limit };
  const collection = ctx.store.collection(ctx.db, name);
  const docs = collection ? findDocuments(collection, spec, querySettings(ctx)) : [];
  const result = ctx.cursors.open(ns, docs, { ...(batchSize === undefined ? {} : { batchSize: Math.min(batchSize, limit || batchSize) }), singleBatch });
  return cursorReply(ns, result, true);
}

function cursorId(value: unknown): number {
  return readNumber(value, () => new CommandError('TypeMismatch', "Field 'getMore' must be of type long")) ?? 0;
}

function getMore(ctx: CommandContext): Doc {
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

/** aggregate on a collection (or `aggregate: 1` for collection-less pipelines such as `$documents`). */
function aggregate(ctx: CommandContext): Doc {
  const target = ctx.command.aggregate;
  const name = target === 1 ? undefined : ctx.args.collection();
  const pipeline = ctx.args.docArray('pipeline');
  if (ctx.args.bool('explain')) throw new CommandError('BadValue', 'explain is not supported by the embedded MongoDB dev server');
  const cursorOptions = ctx.args.doc('cursor');
  if (!cursorOptions) throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const batchSize = readNumber(cursorOptions.batchSize, () => new CommandError('TypeMismatch', 'cursor.batchSize must be a number'));
  const settings = { ...querySettings(ctx), resolveCollection: collectionResolver((other) => ctx.store.collection(ctx.db, other)) };
  const collection = name === undefined ? undefined : ctx.store.collection(ctx.db, name);
  const docs = aggregateDocuments(collection, pipeline, settings);
  const ns = name === undefined ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${name}`;
  return cursorReply(ns, ctx.cursors.open(ns, docs, batchSize === undefined ? {} : { batchSize }), true);
}

function count(ctx: CommandContext): Doc {
  const collection = ctx.store.collection(ctx.db, ctx.args.collection());
  if (!collection) return { n: 0 };
  const query = ctx.args.doc('query') ?? {};
  const skip = nonNegative(ctx, 'skip') ?? 0;
  const limit = Math.abs(ctx.args.number('limit') ?? 0);
  const total = Object.keys(query).length === 0 ? collection.count : matchDocuments(collection, query, querySettings(ctx)).length;
  const afterSkip = Math.max(0, total - skip);
  return { n: limit ? Math.min(limit, afterSkip) : afterSkip };
}

/** distinct: array values contribute their elements, like mongod. */
function distinct(ctx: CommandContext): Doc {
  const collection = ctx.store.collection(ctx.db, ctx.args.collection());
  const key = ctx.args.string('key');
  if (!key) throw new CommandError('Location40414', "BSON field 'distinct.key' is missing but a required field");
  if (!collection) return { values: [] };
  const values = new Map<string, unknown>();
  for (const doc of matchDocuments(collection, ctx.args.doc('query') ?? {}, querySettings(ctx))) {
    for (const value of valuesAtPath(doc, key)) {
      if (value !== undefined) values.set(canonicalKey(value), value);
    }
  }
  return { values: [...values.values()] };
}

export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  aggregate,
  count,
  distinct,
};
