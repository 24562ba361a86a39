import { Query } from 'mingo/query';
import { parseCollation } from './collation';
import { canonicalKey, formatValue, isPlainObject, valuesAtPath, type Doc } from './documents';
import { CommandError, duplicateKeyError, notSupported } from './errors';
import { queryContext } from './query-operators';
import { numericKind, queryForm, toDouble } from './values';

/** An index specification as listIndexes returns it. */
export interface IndexSpec extends Doc {
  v: number;
  key: Doc;
  name: string;
}

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** One key a document contributes to a unique index, with the values for the E11000 message. */
interface IndexKey {
  key: string;
  values: unknown[];
}

/** mongod's generated name: `{ a: 1, b: -1 }` → `a_1_b_-1`. */
export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');
}

function validDirection(direction: unknown): boolean {
  if (typeof direction === 'string') return true;
  const value = numericKind(direction) === undefined ? Number.NaN : toDouble(direction);
  return value !== 0 && Number.isFinite(value);
}

/** Index options arrive as any BSON type (`unique: 1`, `sparse: Int32(1)`); mongod reads them as booleans. */
function truthy(value: unknown): boolean {
  if (numericKind(value) !== undefined) return toDouble(value) !== 0;
  return Boolean(value);
}

/** Validates one `createIndexes` entry and fills the name and version like mongod. */
export function parseIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw)) throw new CommandError('TypeMismatch', 'Index specification must be an object');
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length === 0) {
    throw new CommandError('CannotCreateIndex', "Index spec must contain a non-empty 'key' object");
  }
  for (const [field, direction] of Object.entries(key)) {
    if (!validDirection(direction)) {
      throw new CommandError('CannotCreateIndex', `Values in the index key pattern can't be 0 or non-numeric: ${field}`);
    }
  }
  const name = raw.name === undefined ? defaultIndexName(key) : raw.name;
  if (typeof name !== 'string' || name.length === 0) throw new CommandError('CannotCreateIndex', 'index name must be a non-empty string');
  const { ns: _ns, v: _v, background: _background, key: _key, name: _name, ...options } = raw;
  const invalid = Object.keys(options).find((option) => !INDEX_OPTIONS.has(option));
  if (invalid) throw new CommandError('InvalidIndexSpecificationOption', `The field '${invalid}' is not valid for an index specification. Specification: ${formatValue(raw)}`);
  // Unique keys would have to compare under the collation; only unique indexes keep keys here.
  if (parseCollation(options.collation)) throw notSupported('an index with a non-simple collation');
  if (options.hidden !== undefined) throw notSupported('a hidden index');
  // listIndexes shows v, key, name first, then the options.
  return { v: 2, key, name, ...options };
}

/** Index options mongod accepts. Indexes other than unique ones are metadata here, so most are just kept. */
const INDEX_OPTIONS = new Set([
  'unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation', 'hidden', 'storageEngine', 'weights', 'default_language',
  'language_override', 'textIndexVersion', '2dsphereIndexVersion', 'bits', 'min', 'max', 'bucketSize', 'wildcardProjection',
]);

/** The options that make two specs "the same index" (mongod ignores cosmetic ones such as `background`). */
function semanticKey(spec: IndexSpec): string {
  return canonicalKey({
    key: spec.key,
    unique: truthy(spec.unique),
    sparse: truthy(spec.sparse),
    partialFilterExpression: spec.partialFilterExpression,
    expireAfterSeconds: spec.expireAfterSeconds,
    collation: spec.collation,
  });
}

export function sameKeyPattern(a: Doc, b: Doc): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

/**
 * A secondary index. Only unique indexes keep entries (key → owning `_id` key): they are what enforces
 * uniqueness and what point lookups use. Non-unique indexes are metadata only — every other query scans.
 */
export class Index {
  readonly fields: string[];
  readonly unique: boolean;
  private readonly sparse: boolean;
  private readonly partial: Query | undefined;
  private readonly owners = new Map<string, string>();
  private readonly identity: string;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.unique = truthy(spec.unique);
    this.sparse = truthy(spec.sparse);
    const partial = spec.partialFilterExpression;
    this.partial = isPlainObject(partial) ? new Query(queryForm(partial), { context: queryContext(undefined) }) : undefined;
    this.identity = semanticKey(spec);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Equality on every field of this index identifies at most one document. */
  get supportsPointLookup(): boolean {
    return this.unique && !this.sparse && !this.partial;
  }

  sameAs(spec: IndexSpec): boolean {
    return this.identity === semanticKey(spec);
  }

  /** The keys a document puts into this index, or none when sparse/partial leave it out. */
  private keysOf(doc: Doc): IndexKey[] {
    if (this.partial && !this.partial.test(queryForm(doc))) return [];
    const perField = this.fields.map((field) => dedupe(valuesAtPath(doc, field)));
    if (this.sparse && perField.every((values) => values.every((value) => value === undefined))) return [];
    if (perField.filter((values) => values.length > 1).length > 1) {
      throw new CommandError('CannotIndexParallelArrays', `cannot index parallel arrays [${this.fields.join('] [')}]`);
    }
    return cartesian(perField).map((values) => ({ key: tupleKey(values), values }));
  }

  /** Throws E11000 when `doc` would collide with a document other than itself (`idKey`). */
  assertUnique(doc: Doc, idKey: string, ns: string): void {
    if (!this.unique) return;
    for (const { key, values } of this.keysOf(doc)) {
      const owner = this.owners.get(key);
      if (owner !== undefined && owner !== idKey) throw this.duplicate(ns, values);
    }
  }

  add(doc: Doc, idKey: string): void {
    if (!this.unique) return;
    for (const { key } of this.keysOf(doc)) this.owners.set(key, idKey);
  }

  remove(doc: Doc, idKey: string): void {
    if (!this.unique) return;
    for (const { key } of this.keysOf(doc)) if (this.owners.get(key) === idKey) this.owners.delete(key);
  }

  /** Builds the entries over existing documents; a duplicate fails the build like mongod's index build. */
  build(docs: Iterable<[string, Doc]>, ns: string): void {
    for (const [idKey, doc] of docs) {
      try {
        this.assertUnique(doc, idKey, ns);
      } catch (error) {
        this.owners.clear();
        if (error instanceof CommandError) throw new CommandError(error.codeName, `Index build failed: ${error.message}`, error.details);
        throw error;
      }
      this.add(doc, idKey);
    }
  }

  /** `_id` key of the document holding these field values, for point lookups. */
  lookup(values: unknown[]): string | undefined {
    return this.owners.get(tupleKey(values));
  }

  private duplicate(ns: string, values: unknown[]): CommandError {
    const keyValue: Doc = {};
    this.fields.forEach((field, i) => {
      keyValue[field] = values[i] ?? null;
    });
    return duplicateKeyError(ns, this.name, this.spec.key, keyValue);
  }
}

function tupleKey(values: unknown[]): string {
  return JSON.stringify(values.map(canonicalKey));
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const value of values) seen.set(canonicalKey(value), value);
  return [...seen.values()];
}

function cartesian(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((prefix) => list.map((value) => [...prefix, value])), [[]]);
}
