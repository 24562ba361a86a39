import { EJSON, type ObjectId } from 'bson';

/** A BSON document as the server sees it after deserialisation (bson's default promotions apply). */
export type Doc = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Doc {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** bson's own value classes (ObjectId, Long, Decimal128, Binary, Timestamp…) all carry `_bsontype`. */
export function bsonTypeOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const tag = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/** Sets an own property even for the key `__proto__`, which plain assignment would turn into a prototype swap. */
function setOwn(target: Doc, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Deep-copies arrays, plain objects and Dates. bson value objects (ObjectId, Long, Decimal128, Binary…) are
 * shared: the server never mutates them, and copying them with structuredClone would strip their classes,
 * which mingo needs for equality.
 */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneValue(item)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    const copy: Doc = {};
    for (const [key, item] of Object.entries(value)) setOwn(copy, key, cloneValue(item));
    return copy as T;
  }
  return value;
}

/**
 * A string that is equal for two values exactly when MongoDB's index would treat them as the same key
 * (numbers compare by value across int/long/double; null and missing collide, as in a real unique index).
 * Used for the `_id` map and unique-index maps.
 */
export function canonicalKey(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return `n:${Object.is(value, -0) ? 0 : value}`;
    case 'bigint':
      return `n:${value}`;
    case 'string':
      return `s:${JSON.stringify(value)}`;
    case 'boolean':
      return `b:${value}`;
    default:
      return canonicalObjectKey(value);
  }
}

function canonicalObjectKey(value: unknown): string {
  if (value instanceof Date) return `t:${value.getTime()}`;
  if (value instanceof RegExp) return `r:${value.source}/${value.flags}`;
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (isPlainObject(value)) {
    const fields = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${canonicalKey(item)}`);
    return `{${fields.join(',')}}`;
  }
  const type = bsonTypeOf(value);
  if (type === 'ObjectId') return `o:${(value as ObjectId).toHexString()}`;
  if (type === 'Long' || type === 'Int32' || type === 'Double') return `n:${String(value)}`;
  try {
    return `${type ?? 'x'}:${EJSON.stringify(value, { relaxed: false })}`;
  } catch {
    return `${type ?? 'x'}:${String(value)}`;
  }
}

/**
 * Every value an index sees at a dotted path: arrays on the way fan out (multikey), an empty array or a
 * missing field gives `undefined` (indexed as null).
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collectAtPath(doc, path.split('.'), 0, out);
  return out;
}

function collectAtPath(value: unknown, parts: string[], at: number, out: unknown[]): void {
  const part = parts[at];
  if (part === undefined) {
    if (!Array.isArray(value)) out.push(value);
    else if (value.length === 0) out.push(undefined);
    else out.push(...(value as unknown[]));
    return;
  }
  if (Array.isArray(value)) {
    if (/^\d+$/.test(part)) collectAtPath(value[Number(part)], parts, at + 1, out);
    else for (const item of value as unknown[]) collectAtPath(item, parts, at, out);
    return;
  }
  if (isPlainObject(value)) collectAtPath(value[part], parts, at + 1, out);
  else out.push(undefined);
}

/** Sets a dotted path, creating intermediate plain objects (used to seed upserted documents). */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = doc;
  parts.slice(0, -1).forEach((part) => {
    const next = target[part];
    if (isPlainObject(next)) {
      target = next;
    } else {
      const created: Doc = {};
      setOwn(target, part, created);
      target = created;
    }
  });
  setOwn(target, parts[parts.length - 1] ?? path, value);
}

/** MongoDB stores `_id` as the first field; the driver and tools rely on seeing it first. */
export function withIdFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (!('_id' in doc) || keys[0] === '_id') return doc;
  const ordered: Doc = { _id: doc._id };
  for (const key of keys) if (key !== '_id') setOwn(ordered, key, doc[key]);
  return ordered;
}

/** Formats a value the way mongod prints it in error messages, e.g. `{ name: "x" }` or `ObjectId('…')`. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isPlainObject(value)) {
    const fields = Object.entries(value).map(([key, item]) => `${key}: ${formatValue(item)}`);
    return fields.length ? `{ ${fields.join(', ')} }` : '{}';
  }
  if (bsonTypeOf(value) === 'ObjectId') return `ObjectId('${(value as ObjectId).toHexString()}')`;
  return String(value);
}

/** BSON type names as mongod reports them in type-mismatch errors. */
export function bsonTypeName(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (isPlainObject(value)) return 'object';
  const type = bsonTypeOf(value);
  const names: Record<string, string> = { Int32: 'int', Double: 'double', Long: 'long', Decimal128: 'decimal', ObjectId: 'objectId', Binary: 'binData' };
  return (type && names[type]) ?? type?.toLowerCase() ?? typeof value;
}
