import { EJSON } from 'bson';
import { isDoc, type Doc } from './format';

/**
 * The unified format's "Evaluating Matches": expected values are query-like. Documents at the root may
 * carry extra keys in the actual value, nested ones may not; arrays must have the same length; numbers
 * compare by value across int32, int64 and double; `$$`-operators assert instead of comparing.
 */
export class MatchError extends Error {}

/** Entities a `$$matchesEntity` may name. */
export type EntityLookup = (name: string) => unknown;

interface Context {
  entity: EntityLookup;
}

function fail(path: string, message: string): never {
  throw new MatchError(`${path}: ${message}`);
}

export function assertMatches(expected: unknown, actual: unknown, options: { root: boolean; entity: EntityLookup; path?: string }): void {
  match(expected, actual, options.path ?? '$', options.root, { entity: options.entity });
}

/** `{ $$name: … }` with exactly one key. */
function specialOperator(value: unknown): [string, unknown] | undefined {
  if (!isDoc(value)) return undefined;
  const keys = Object.keys(value);
  const [key] = keys;
  return keys.length === 1 && key?.startsWith('$$') ? [key, value[key]] : undefined;
}

/** The driver hands some documents over as Maps (e.g. `sort` in command events). */
function asDocument(value: unknown): Doc | undefined {
  if (value instanceof Map) return Object.fromEntries(value as Map<string, unknown>);
  if (isDoc(value)) return value;
  // Driver result classes (InsertOneResult, BulkWriteResult…) are documents with a prototype.
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && bsonType(value) === undefined && !(value instanceof Date)) {
    return value as Doc;
  }
  return undefined;
}

function match(expected: unknown, actual: unknown, path: string, root: boolean, ctx: Context): void {
  const operator = specialOperator(expected);
  if (operator) {
    matchOperator(operator, actual, path, root, ctx);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail(path, `expected an array, got ${describe(actual)}`);
    if (actual.length !== expected.length) fail(path, `expected ${expected.length} elements, got ${actual.length}: ${describe(actual)}`);
    expected.forEach((item, index) => match(item, (actual as unknown[])[index], `${path}[${index}]`, false, ctx));
    return;
  }
  if (isDoc(expected)) {
    matchDocument(expected, actual, path, root, ctx);
    return;
  }
  matchScalar(expected, actual, path);
}

function matchDocument(expected: Doc, actual: unknown, path: string, root: boolean, ctx: Context): void {
  const document = asDocument(actual);
  if (!document) fail(path, `expected a document, got ${describe(actual)}`);
  for (const [key, value] of Object.entries(expected)) {
    const keyPath = `${path}.${key}`;
    const present = document[key] !== undefined;
    const operator = specialOperator(value);
    if (operator?.[0] === '$$exists') {
      if (present !== Boolean(operator[1])) fail(keyPath, present ? `should be absent, is ${describe(document[key])}` : 'should exist');
      continue;
    }
    if (operator?.[0] === '$$unsetOrMatches') {
      if (present) match(operator[1], document[key], keyPath, false, ctx);
      continue;
    }
    if (!present) fail(keyPath, `missing (expected ${describe(value)})`);
    match(value, document[key], keyPath, false, ctx);
  }
  if (root) return;
  const extra = Object.keys(document).filter((key) => document[key] !== undefined && !Object.hasOwn(expected, key));
  if (extra.length) fail(path, `unexpected keys ${extra.join(', ')} in ${describe(document)}`);
}

function matchOperator([name, argument]: [string, unknown], actual: unknown, path: string, root: boolean, ctx: Context): void {
  switch (name) {
    case '$$exists':
      // Only meaningful for a key; as a whole value it asks whether there is a value at all.
      if ((actual !== undefined) !== Boolean(argument)) fail(path, argument ? 'should exist' : 'should be absent');
      return;
    case '$$unsetOrMatches':
      if (actual !== undefined) match(argument, actual, path, root, ctx);
      return;
    case '$$type': {
      const wanted = Array.isArray(argument) ? (argument as string[]) : [String(argument)];
      if (actual === undefined) fail(path, `missing (expected type ${wanted.join('|')})`);
      const types = typeAliases(actual);
      if (!wanted.some((type) => types.includes(type))) fail(path, `expected type ${wanted.join('|')}, got ${types.join('|')} ${describe(actual)}`);
      return;
    }
    case '$$matchesEntity':
      match(ctx.entity(String(argument)), actual, path, root, ctx);
      return;
    case '$$matchesHexBytes':
      if (hex(actual) !== String(argument).toLowerCase()) fail(path, `expected bytes ${String(argument)}, got ${describe(actual)}`);
      return;
    case '$$lte':
      if (numeric(actual) === undefined || compareNumbers(actual, argument) > 0) fail(path, `expected ≤ ${describe(argument)}, got ${describe(actual)}`);
      return;
    case '$$matchAsDocument':
      if (typeof actual !== 'string') fail(path, `expected an Extended JSON string, got ${describe(actual)}`);
      match(argument, EJSON.parse(actual, { relaxed: true }), path, false, ctx);
      return;
    case '$$matchAsRoot':
      match(argument, actual, path, true, ctx);
      return;
    default:
      // $$sessionLsid needs sessions, which the runner never creates.
      throw new MatchError(`${path}: unsupported special operator ${name}`);
  }
}

function hex(value: unknown): string | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (bsonType(value) === 'Binary') return Buffer.from((value as { buffer: Uint8Array }).buffer).toString('hex');
  return undefined;
}

function bsonType(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/** An exact numeric value: bigint for integers (so int64 above 2^53 compares exactly), number otherwise. */
function numeric(value: unknown): bigint | number | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  const type = bsonType(value);
  if (type === 'Long') return BigInt((value as { toString(): string }).toString());
  if (type === 'Int32' || type === 'Double') return numeric((value as { valueOf(): number }).valueOf());
  return undefined;
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x === undefined || y === undefined) return Number.NaN;
  if (typeof x === 'bigint' && typeof y === 'bigint') return x === y ? 0 : x < y ? -1 : 1;
  return Number(x) - Number(y);
}

/**
 * Names the `$type` operator would accept for a value. The driver promotes int32, int64 (when safe) and
 * double to JS numbers, so an integral number answers to int, long and double alike.
 */
export function typeAliases(value: unknown): string[] {
  if (value === null) return ['null'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['int', 'long', 'double', 'number'] : ['double', 'number'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (Array.isArray(value)) return ['array'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (value instanceof Uint8Array) return ['binData'];
  const type = bsonType(value);
  const byTag: Record<string, string[]> = {
    Int32: ['int', 'number'],
    Long: ['long', 'number'],
    Double: ['double', 'number'],
    Decimal128: ['decimal', 'number'],
    ObjectId: ['objectId'],
    ObjectID: ['objectId'],
    Binary: ['binData'],
    BSONRegExp: ['regex'],
    Timestamp: ['timestamp'],
    Code: ['javascript'],
    MinKey: ['minKey'],
    MaxKey: ['maxKey'],
    BSONSymbol: ['symbol'],
    DBRef: ['dbPointer', 'object'],
  };
  if (type) return byTag[type] ?? [type.toLowerCase()];
  return value instanceof Map || typeof value === 'object' ? ['object'] : [typeof value];
}

function matchScalar(expected: unknown, actual: unknown, path: string): void {
  const expectedNumber = numeric(expected);
  const actualNumber = numeric(actual);
  if (expectedNumber !== undefined || actualNumber !== undefined) {
    const equal =
      expectedNumber !== undefined &&
      actualNumber !== undefined &&
      (compareNumbers(expected, actual) === 0 || (Number.isNaN(Number(expectedNumber)) && Number.isNaN(Number(actualNumber))));
    if (!equal) fail(path, `expected ${describe(expected)}, got ${describe(actual)}`);
    return;
  }
  if (!sameScalar(expected, actual)) fail(path, `expected ${describe(expected)}, got ${describe(actual)}`);
}

function sameScalar(expected: unknown, actual: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return expected === actual;
  if (expected instanceof Date) return actual instanceof Date && actual.getTime() === expected.getTime();
  return canonical(expected) === canonical(actual);
}

/** Canonical Extended JSON with keys sorted: equal exactly when the BSON values are equal. */
function canonical(value: unknown): string {
  try {
    return JSON.stringify(sortKeys(EJSON.serialize({ v: value }, { relaxed: false })));
  } catch {
    return String(value);
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isDoc(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = EJSON.stringify(value instanceof Map ? Object.fromEntries(value as Map<string, unknown>) : value, { relaxed: true });
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
