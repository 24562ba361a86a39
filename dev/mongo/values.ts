import { type Binary, type Decimal128, type ObjectId, type Timestamp, type Double, type Int32, type Long } from 'bson';
import { bsonTypeOf, isPlainObject, type Doc } from './documents';

/**
 * BSON values as MongoDB orders and compares them. Stored documents keep their wire types (Int32, Long,
 * Double objects: see wire.ts), so a round trip never changes a number's type; this module is the one
 * place that compares them by value.
 */

/** Compares strings for one collation; `undefined` means binary (the "simple" collation). */
export type StringComparer = ((a: string, b: string) => number) | undefined;

export type NumericKind = 'int' | 'long' | 'double' | 'decimal';

/** The numeric kind of a value, or undefined for non-numbers. Plain JS numbers are int when integral and 32-bit. */
export function numericKind(value: unknown): NumericKind | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0) ? 'int' : 'double';
  if (typeof value === 'bigint') return 'long';
  switch (bsonTypeOf(value)) {
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    default:
      return undefined;
  }
}

/**
 * An exact value for comparison: bigint for integers (int32, int64, integral doubles), number for the rest
 * (fractions, ±Infinity, NaN). Decimal128 goes through its string, which is exact for the values clients
 * send in practice.
 */
export function exactNumber(value: unknown): bigint | number | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  switch (bsonTypeOf(value)) {
    case 'Int32':
      return BigInt((value as Int32).value);
    case 'Long':
      return (value as Long).toBigInt();
    case 'Double':
      return exactNumber((value as Double).value);
    case 'Decimal128': {
      const number = Number((value as Decimal128).toString());
      return Number.isInteger(number) && !/[.eE]/.test((value as Decimal128).toString()) ? BigInt((value as Decimal128).toString()) : number;
    }
    default:
      return undefined;
  }
}

export function compareNumbers(a: unknown, b: unknown): number {
  const x = exactNumber(a);
  const y = exactNumber(b);
  if (x === undefined || y === undefined) throw new Error('compareNumbers on a non-number');
  if (typeof x === 'bigint' && typeof y === 'bigint') return x === y ? 0 : x < y ? -1 : 1;
  if (typeof x === 'bigint') return compareBigWithDouble(x, y as number);
  if (typeof y === 'bigint') return -compareBigWithDouble(y, x);
  // mongod sorts NaN below every other number and equal to itself.
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** An integer against a non-integral double, without rounding the integer to a double. */
function compareBigWithDouble(x: bigint, y: number): number {
  if (Number.isNaN(y) || y === -Infinity) return 1;
  if (y === Infinity) return -1;
  const floor = BigInt(Math.floor(y));
  if (x !== floor) return x < floor ? -1 : 1;
  return y === Math.floor(y) ? 0 : -1;
}

/** MongoDB's canonical type order (sort and comparison brackets). */
export function typeRank(value: unknown): number {
  if (value === undefined || value === null) return 2;
  if (numericKind(value) !== undefined) return 3;
  if (typeof value === 'string') return 4;
  if (typeof value === 'boolean') return 9;
  if (Array.isArray(value)) return 6;
  if (value instanceof Date) return 10;
  if (value instanceof RegExp) return 12;
  if (isPlainObject(value)) return 5;
  switch (bsonTypeOf(value)) {
    case 'MinKey':
      return 1;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    case 'MaxKey':
      return 13;
    default:
      return 5;
  }
}

function compareStrings(a: string, b: string, strings: StringComparer): number {
  if (strings) return Math.sign(strings(a, b));
  return a === b ? 0 : a < b ? -1 : 1;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : String((value as { value?: unknown }).value ?? value);
}

/** Total order over BSON values, as mongod compares them (numbers by value across types). */
export function compareValues(a: unknown, b: unknown, strings?: StringComparer): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  switch (rankA) {
    case 3:
      return compareNumbers(a, b);
    case 4:
      return compareStrings(stringOf(a), stringOf(b), strings);
    case 5:
      return compareDocuments(a as Doc, b as Doc, strings);
    case 6:
      return compareArrays(a as unknown[], b as unknown[], strings);
    case 7:
      return compareBinary(a as Binary, b as Binary);
    case 8:
      return compareStrings((a as ObjectId).toHexString(), (b as ObjectId).toHexString(), undefined);
    case 9:
      return a === b ? 0 : a ? 1 : -1;
    case 10:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case 11:
      return compareTimestamps(a as Timestamp, b as Timestamp);
    case 12:
      return compareStrings(regexText(a), regexText(b), undefined);
    default:
      return 0;
  }
}

function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? Math.sign(a.t - b.t) : Math.sign(a.i - b.i);
}

function regexText(value: unknown): string {
  if (value instanceof RegExp) return `${value.source}/${value.flags}`;
  const regex = value as { pattern: string; options: string };
  return `${regex.pattern}/${regex.options}`;
}

function compareDocuments(a: Doc, b: Doc, strings: StringComparer): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  for (let i = 0; i < Math.min(keysA.length, keysB.length); i += 1) {
    const keyA = keysA[i] as string;
    const keyB = keysB[i] as string;
    const rank = Math.sign(typeRank(a[keyA]) - typeRank(b[keyB]));
    if (rank) return rank;
    const name = compareStrings(keyA, keyB, undefined);
    if (name) return name;
    const value = compareValues(a[keyA], b[keyB], strings);
    if (value) return value;
  }
  return Math.sign(keysA.length - keysB.length);
}

function compareArrays(a: unknown[], b: unknown[], strings: StringComparer): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const order = compareValues(a[i], b[i], strings);
    if (order) return order;
  }
  return Math.sign(a.length - b.length);
}

function compareBinary(a: Binary, b: Binary): number {
  if (a.position !== b.position) return Math.sign(a.position - b.position);
  if (a.sub_type !== b.sub_type) return Math.sign(a.sub_type - b.sub_type);
  return Buffer.compare(Buffer.from(a.buffer.subarray(0, a.position)), Buffer.from(b.buffer.subarray(0, b.position)));
}

export function valuesEqual(a: unknown, b: unknown, strings?: StringComparer): boolean {
  if (a === undefined || b === undefined) return a === b || (a ?? null) === (b ?? null);
  return compareValues(a, b, strings) === 0;
}

/** Identical BSON: same types and values (what decides whether an update modified a document). */
export function identical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => identical(item, b[i]));
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    return keysA.length === keysB.length && keysA.every((key, i) => key === keysB[i] && identical(a[key], b[key]));
  }
  const kindA = numericKind(a);
  if (kindA !== undefined) return kindA === numericKind(b) && compareNumbers(a, b) === 0;
  if (typeRank(a) !== typeRank(b)) return false;
  return compareValues(a, b) === 0 && bsonTypeOf(a) === bsonTypeOf(b);
}

/** A number as a JS double (lossy above 2^53; for arithmetic on doubles only). */
export function toDouble(value: unknown): number {
  const exact = exactNumber(value);
  return exact === undefined ? Number.NaN : Number(exact);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The form of a value handed to mingo for queries, projections and pipelines: Int32 and Double become JS
 * numbers (mingo computes with those), int64 too while exact; an int64 beyond 2^53 stays a Long, which
 * the query operators in query-operators.ts compare exactly.
 */
export function queryForm<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => queryForm(item)) as T;
  if (isPlainObject(value)) {
    const out: Doc = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__') Object.defineProperty(out, key, { value: queryForm(item), enumerable: true, writable: true, configurable: true });
      else out[key] = queryForm(item);
    }
    return out as T;
  }
  switch (bsonTypeOf(value)) {
    case 'Int32':
    case 'Double':
      return (value as unknown as Int32 | Double).value as T;
    case 'Long': {
      const big = (value as unknown as Long).toBigInt();
      return (big <= SAFE && big >= -SAFE ? Number(big) : value) as T;
    }
    default:
      return value;
  }
}
