import { Context } from 'mingo/core';
import { Lazy, type Iterator } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import type { AnyObject, Options } from 'mingo/types';
import { flatten, resolve } from 'mingo/util';
import { bsonTypeOf, isPlainObject, valuesAtPath, type Doc } from './documents';
import { CommandError } from './errors';
import { compareValues, numericKind, typeRank, valuesEqual, type StringComparer } from './values';

/**
 * mingo compares values of different JS types as unequal, so it cannot see that int32 1, int64 1 and
 * double 1.0 are the same number, or order an int64 beyond 2^53; and it applies a collation only when
 * sorting. These replacements for its comparison operators (and its $sort stage) use MongoDB's
 * comparison (values.ts) with the command's collation.
 */
type Predicate = (lhs: unknown, rhs: unknown, depth: number) => boolean;

/**
 * Query-form documents (what mingo sees) mapped back to the stored, typed documents, so `$type` can
 * answer int, long or double as stored (inside `$elemMatch` it falls back to the query form).
 */
const typedSources = new WeakMap<object, Doc>();

export function rememberTypedSource(queryDoc: Doc, typed: Doc): void {
  typedSources.set(queryDoc, typed);
}

function operator(predicate: Predicate) {
  return (selector: string, value: unknown, _options: Options) => {
    const depth = selector.split('.').length - 1;
    return (obj: AnyObject) => predicate(resolve(obj, selector, { unwrapArray: true }), value, depth);
  };
}

function equalsAny(lhs: unknown, rhs: unknown, depth: number, strings: StringComparer): boolean {
  if (valuesEqual(lhs, rhs, strings)) return true;
  if (!Array.isArray(lhs)) return false;
  return lhs.some((item) => valuesEqual(item, rhs, strings)) || flatten(lhs, depth).some((item) => valuesEqual(item, rhs, strings));
}

function regexMatches(lhs: unknown, pattern: RegExp): boolean {
  const values = Array.isArray(lhs) ? lhs : [lhs];
  return values.some((value) => typeof value === 'string' && new RegExp(pattern.source, pattern.flags.replace('g', '')).test(value));
}

function inList(lhs: unknown, list: unknown, depth: number, strings: StringComparer): boolean {
  if (!Array.isArray(list)) throw new CommandError('BadValue', '$in needs an array');
  return list.some((item) => (item instanceof RegExp ? regexMatches(lhs, item) : equalsAny(lhs, item, depth, strings)));
}

/** $gt/$gte/$lt/$lte: only values of the operand's type bracket match (numbers with numbers…), or MinKey/MaxKey. */
function ordered(test: (order: number) => boolean, strings: StringComparer): Predicate {
  return (lhs, rhs, depth) => {
    const crossType = bsonTypeOf(rhs) === 'MinKey' || bsonTypeOf(rhs) === 'MaxKey';
    // An array matches through its elements (those of arrays met along a dotted path too), or as a whole
    // when the operand is an array.
    const candidates = Array.isArray(lhs) ? [...flatten(lhs, depth), ...(Array.isArray(rhs) ? [lhs] : [])] : [lhs];
    return candidates.some((value) => (crossType || typeRank(value) === typeRank(rhs)) && test(compareValues(value, rhs, strings)));
  };
}

const TYPE_ALIASES: Record<string, string> = {
  1: 'double', 2: 'string', 3: 'object', 4: 'array', 5: 'binData', 6: 'undefined', 7: 'objectId', 8: 'bool', 9: 'date', 10: 'null',
  11: 'regex', 12: 'dbPointer', 13: 'javascript', 14: 'symbol', 15: 'javascriptWithScope', 16: 'int', 17: 'timestamp', 18: 'long',
  19: 'decimal', '-1': 'minKey', 127: 'maxKey',
};

/** The `$type` name of one stored value. */
export function bsonTypeAlias(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const kind = numericKind(value);
  if (kind) return kind;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (isPlainObject(value)) return 'object';
  const tag = bsonTypeOf(value);
  const byTag: Record<string, string> = {
    ObjectId: 'objectId', Binary: 'binData', Timestamp: 'timestamp', BSONRegExp: 'regex', Code: 'javascript', BSONSymbol: 'symbol',
    MinKey: 'minKey', MaxKey: 'maxKey', DBRef: 'object',
  };
  return (tag && byTag[tag]) ?? 'object';
}

function typeMatches(value: unknown, wanted: string): boolean {
  if (wanted === 'number') return numericKind(value) !== undefined;
  return bsonTypeAlias(value) === wanted;
}

function typeOperator(selector: string, value: unknown, _options: Options) {
  const wanted = (Array.isArray(value) ? value : [value]).map((item) => {
    const name = typeof item === 'string' ? item : TYPE_ALIASES[String(item)];
    if (!name) throw new CommandError('BadValue', `Invalid numerical type code: ${String(item)}`);
    return name;
  });
  return (obj: AnyObject) => {
    const source = typedSources.get(obj) ?? obj;
    const values = valuesAtPath(source, selector);
    const whole = resolve(source, selector);
    return wanted.some((name) => (name === 'array' ? Array.isArray(whole) : values.some((item) => item !== undefined && typeMatches(item, name)) || (whole !== undefined && !Array.isArray(whole) && typeMatches(whole, name))));
  };
}

/** find's and $sort's order: per key, an array contributes its smallest (ascending) or largest element. */
export function sortDocuments<T extends Doc>(docs: T[], spec: Record<string, 1 | -1>, strings: StringComparer): T[] {
  const keys = Object.entries(spec);
  const sortKey = (doc: Doc, path: string, direction: number): unknown => {
    const values = valuesAtPath(doc, path);
    let best: unknown = values[0];
    for (const value of values.slice(1)) if (compareValues(value, best, strings) * direction < 0) best = value;
    return best;
  };
  const decorated = docs.map((doc) => ({ doc, keys: keys.map(([path, direction]) => sortKey(doc, path, direction)) }));
  decorated.sort((a, b) => {
    for (const [index, [, direction]] of keys.entries()) {
      const order = compareValues(a.keys[index], b.keys[index], strings);
      if (order) return order * direction;
    }
    return 0;
  });
  return decorated.map((entry) => entry.doc);
}

function sortStage(strings: StringComparer) {
  return (collection: Iterator, spec: unknown, _options: Options): Iterator => {
    if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new CommandError('Location40324', '$sort stage must have at least one sort key');
    const directions: Record<string, 1 | -1> = {};
    for (const [field, direction] of Object.entries(spec)) {
      if (direction !== 1 && direction !== -1) throw new CommandError('BadValue', `$sort key ordering must be 1 (for ascending) or -1 (for descending); got ${String(direction)} for ${field}`);
      directions[field] = direction;
    }
    return collection.transform((docs) => Lazy(sortDocuments(docs as Doc[], directions, strings)));
  };
}

/**
 * All of mingo's operators with ours in place of its comparisons. Built whole because mingo's `Context`
 * merging keeps the first definition of an operator, and the `mingo` entry point puts its own first; so
 * this server uses mingo's core Query and Aggregator classes (mingo/query, mingo/aggregator) with this
 * context and nothing else.
 */
function buildContext(strings: StringComparer): Context {
  const eq: Predicate = (lhs, rhs, depth) => equalsAny(lhs, rhs, depth, strings);
  return Context.init({
    accumulator: { ...accumulatorOperators },
    expression: { ...expressionOperators },
    projection: { ...projectionOperators },
    window: { ...windowOperators },
    pipeline: { ...pipelineOperators, $sort: sortStage(strings) },
    query: {
      ...queryOperators,
      $eq: operator(eq),
      $ne: operator((lhs, rhs, depth) => !eq(lhs, rhs, depth)),
      $in: operator((lhs, rhs, depth) => inList(lhs, rhs, depth, strings)),
      $nin: operator((lhs, rhs, depth) => !inList(lhs, rhs, depth, strings)),
      $gt: operator(ordered((order) => order > 0, strings)),
      $gte: operator(ordered((order) => order >= 0, strings)),
      $lt: operator(ordered((order) => order < 0, strings)),
      $lte: operator(ordered((order) => order <= 0, strings)),
      $type: typeOperator,
    },
  });
}

const defaultContext = buildContext(undefined);
const contexts = new WeakMap<object, Context>();

/** The mingo operator context for a collation (undefined: simple binary comparison). */
export function queryContext(strings: StringComparer): Context {
  if (!strings) return defaultContext;
  let context = contexts.get(strings);
  if (!context) {
    context = buildContext(strings);
    contexts.set(strings, context);
  }
  return context;
}
