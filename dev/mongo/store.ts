import { UUID, type Double } from 'bson';
import { bsonTypeOf, canonicalKey, isPlainObject, valuesAtPath, type Doc } from './documents';
import { CommandError, duplicateKeyError, notSupported } from './errors';
import { ID_INDEX_SPEC, Index, sameKeyPattern, type IndexSpec } from './indexes';
import { Validation } from './validation';
import { numericKind, toDouble } from './values';

/**
 * Values for which the canonical map key and mingo's equality agree, so an equality filter on them can go
 * straight to the `_id` map or a unique index. (Decimal128 is left out: 1 and Decimal128("1.0") are equal
 * to mongod but not by key.)
 */
function isPointValue(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (value instanceof Date) return true;
  const type = bsonTypeOf(value);
  if (type === 'Double') return !Number.isNaN((value as Double).value);
  return type === 'ObjectId' || type === 'Long' || type === 'Int32';
}

/** The values an equality condition (`v`, `{ $eq: v }`, optionally `{ $in: [...] }`) pins a field to. */
function pointValues(condition: unknown, allowIn: boolean): unknown[] | undefined {
  if (isPointValue(condition)) return [condition];
  if (!isPlainObject(condition)) return undefined;
  if ('$eq' in condition) return isPointValue(condition.$eq) ? [condition.$eq] : undefined;
  const list = condition.$in;
  if (allowIn && Array.isArray(list) && list.every(isPointValue)) return list as unknown[];
  return undefined;
}

/** A collection: documents by canonical `_id` key (insertion order is the natural order), plus indexes. */
export class Collection {
  readonly uuid = new UUID();
  private readonly docs = new Map<string, Doc>();
  private readonly indexes = new Map<string, Index>();

  private currentOptions: Doc;
  private validation: Validation | undefined;

  constructor(
    readonly db: string,
    readonly name: string,
    options: Doc = {},
  ) {
    this.validation = Validation.fromOptions(options);
    this.currentOptions = options;
  }

  /** The options listCollections shows (create's, as changed by collMod). */
  get options(): Doc {
    return this.currentOptions;
  }

  /** collMod: new validation settings take effect for the next write. */
  modify(changes: Doc): void {
    const options = { ...this.currentOptions, ...changes };
    this.validation = Validation.fromOptions(options);
    this.currentOptions = options;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get count(): number {
    return this.docs.size;
  }

  documents(): IterableIterator<Doc> {
    return this.docs.values();
  }

  /**
   * The documents a filter can possibly match: by `_id` or a whole unique index when the filter pins them
   * with equality, else every document. Callers still test each candidate against the full filter.
   */
  candidates(filter: Doc): Iterable<Doc> {
    if (Object.hasOwn(filter, '_id')) {
      const ids = pointValues(filter._id, true);
      if (ids) return this.byKeys(ids.map(canonicalKey));
    }
    for (const index of this.indexes.values()) {
      if (!index.supportsPointLookup || !index.fields.every((field) => Object.hasOwn(filter, field))) continue;
      const values = index.fields.map((field) => pointValues(filter[field], false)?.[0]);
      if (values.some((value) => value === undefined)) continue;
      return this.byKeys([index.lookup(values)]);
    }
    return this.docs.values();
  }

  private byKeys(keys: (string | undefined)[]): Doc[] {
    const found = new Map<string, Doc>();
    for (const key of keys) {
      const doc = key === undefined ? undefined : this.docs.get(key);
      if (key !== undefined && doc) found.set(key, doc);
    }
    return [...found.values()];
  }

  /** Stores a new document; all checks run before anything changes, so a failed insert leaves no trace. */
  insert(doc: Doc, bypassValidation = false): void {
    if (!bypassValidation) this.validation?.check(doc);
    const idKey = canonicalKey(doc._id);
    if (this.docs.has(idKey)) throw duplicateKeyError(this.ns, '_id_', { _id: 1 }, { _id: doc._id });
    for (const index of this.indexes.values()) index.assertUnique(doc, idKey, this.ns);
    this.docs.set(idKey, doc);
    for (const index of this.indexes.values()) index.add(doc, idKey);
  }

  /** Swaps a stored document for its updated copy (same `_id`); checks run before anything changes. */
  replace(current: Doc, next: Doc, bypassValidation = false): void {
    if (!bypassValidation) this.validation?.check(next, current);
    const idKey = canonicalKey(current._id);
    for (const index of this.indexes.values()) index.assertUnique(next, idKey, this.ns);
    for (const index of this.indexes.values()) index.remove(current, idKey);
    this.docs.set(idKey, next);
    for (const index of this.indexes.values()) index.add(next, idKey);
  }

  remove(doc: Doc): void {
    const idKey = canonicalKey(doc._id);
    if (!this.docs.delete(idKey)) return;
    for (const index of this.indexes.values()) index.remove(doc, idKey);
  }

  /** The stored version of the document with this `_id`, if it is still there. */
  byId(id: unknown): Doc | undefined {
    return this.docs.get(canonicalKey(id));
  }

  /**
   * Checks a hint as mongod's planner does: it must name an existing index, by name or key pattern, or be
   * `$natural`. Results never depend on the index used here, except for sparse and partial indexes,
   * whose hints are refused rather than answered from the whole collection.
   */
  checkHint(hint: unknown): void {
    if (hint === undefined || hint === null) return;
    let index: Index | undefined;
    if (typeof hint === 'string') {
      if (hint === ID_INDEX_SPEC.name) return;
      index = this.indexes.get(hint);
    } else if (isPlainObject(hint)) {
      if (Object.keys(hint).length === 0 || '$natural' in hint || sameKeyPattern(hint, ID_INDEX_SPEC.key)) return;
      index = [...this.indexes.values()].find((candidate) => sameKeyPattern(candidate.spec.key, hint));
    } else {
      throw new CommandError('FailedToParse', 'hint must be a string or an object');
    }
    if (!index) {
      throw new CommandError('BadValue', `error processing query: ns=${this.ns} planner returned error :: caused by :: hint provided does not correspond to an existing index`);
    }
    if (index.spec.sparse || index.spec.partialFilterExpression) throw notSupported(`a hint on the sparse or partial index ${index.name}`);
  }

  /** $merge on fields other than _id needs a unique index on exactly them (mongod error 51183). */
  requireUniqueIndex(fields: string[]): void {
    const found = [...this.indexes.values()].some((index) => index.unique && index.fields.length === fields.length && fields.every((field) => index.fields.includes(field)));
    if (!found) throw new CommandError('BadValue', `Cannot find index to verify that join fields will be unique`);
  }

  indexSpecs(): IndexSpec[] {
    return [ID_INDEX_SPEC, ...[...this.indexes.values()].map((index) => index.spec)];
  }

  /** Creates an index; false when an identical one exists (mongod treats that as a no-op). */
  createIndex(spec: IndexSpec): boolean {
    if (spec.name === ID_INDEX_SPEC.name || sameKeyPattern(spec.key, ID_INDEX_SPEC.key)) return this.checkIdIndex(spec);
    const existing = this.indexes.get(spec.name);
    if (existing) {
      if (existing.sameAs(spec)) return false;
      if (sameKeyPattern(existing.spec.key, spec.key)) {
        throw new CommandError('IndexOptionsConflict', `An existing index has the same name as the requested index but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`);
      }
      throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index but a different key. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`);
    }
    const sameKey = [...this.indexes.values()].find((index) => sameKeyPattern(index.spec.key, spec.key));
    if (sameKey) throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    const index = new Index(spec);
    index.build(this.docs.entries(), this.ns);
    this.indexes.set(spec.name, index);
    return true;
  }

  private checkIdIndex(spec: IndexSpec): boolean {
    if (!sameKeyPattern(spec.key, ID_INDEX_SPEC.key)) {
      throw new CommandError('BadValue', "The index name '_id_' is reserved for the _id index, which must have key pattern { _id: 1 }");
    }
    if (spec.name === ID_INDEX_SPEC.name) return false;
    throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${ID_INDEX_SPEC.name}`);
  }

  /** Drops by name or key pattern; `*` drops every index but `_id_`. Returns the index count before. */
  dropIndexes(target: unknown): number {
    const before = this.indexes.size + 1;
    if (target === '*') {
      this.indexes.clear();
      return before;
    }
    const names = Array.isArray(target) ? (target as unknown[]) : [target];
    const resolved = names.map((name) => this.resolveIndexName(name));
    for (const name of resolved) this.indexes.delete(name);
    return before;
  }

  private resolveIndexName(target: unknown): string {
    const name = isPlainObject(target)
      ? ([...this.indexes.values()].find((index) => sameKeyPattern(index.spec.key, target))?.name ??
        (sameKeyPattern(target, ID_INDEX_SPEC.key) ? ID_INDEX_SPEC.name : undefined))
      : target;
    if (name === ID_INDEX_SPEC.name) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (typeof name !== 'string' || !this.indexes.has(name)) {
      const label = isPlainObject(target) ? JSON.stringify(target) : String(target);
      throw new CommandError('IndexNotFound', `index not found with name [${label}]`);
    }
    return name;
  }

  /**
   * TTL: removes documents whose indexed date is older than `expireAfterSeconds` (mongod's TTL monitor does
   * the same every 60 s; the server runs this on a similar timer).
   */
  expire(now: number): number {
    let removed = 0;
    for (const index of this.indexes.values()) {
      const raw = index.spec.expireAfterSeconds;
      const seconds = numericKind(raw) === undefined ? undefined : toDouble(raw);
      const field = index.fields[0];
      if (seconds === undefined || index.fields.length !== 1 || field === undefined) continue;
      for (const doc of [...this.docs.values()]) {
        const dates = valuesAtPath(doc, field).filter((value): value is Date => value instanceof Date);
        if (dates.length && Math.min(...dates.map((date) => date.getTime())) + seconds * 1000 <= now) {
          this.remove(doc);
          removed += 1;
        }
      }
    }
    return removed;
  }
}

const INVALID_DB_CHARS = /[/\\. "$*<>:|?\0]/;

function validateNames(db: string, name: string): void {
  if (!db || INVALID_DB_CHARS.test(db)) throw new CommandError('InvalidNamespace', `Invalid database name: '${db}'`);
  if (!name || name.includes('\0') || name.includes('$') || name.startsWith('.')) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}

/** All databases of one server. Everything is synchronous, so each command runs to completion on its own. */
export class Store {
  private readonly databases = new Map<string, Map<string, Collection>>();

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** The collection, created implicitly (as inserts, upserts and createIndexes do) when missing. */
  ensureCollection(db: string, name: string): { collection: Collection; created: boolean } {
    const existing = this.collection(db, name);
    if (existing) return { collection: existing, created: false };
    return { collection: this.createCollection(db, name, {}), created: true };
  }

  createCollection(db: string, name: string, options: Doc): Collection {
    validateNames(db, name);
    const collections = this.databases.get(db) ?? new Map<string, Collection>();
    if (collections.has(name)) throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
    const collection = new Collection(db, name, options);
    collections.set(name, collection);
    this.databases.set(db, collections);
    return collection;
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const collections = this.databases.get(db);
    const collection = collections?.get(name);
    collections?.delete(name);
    if (collections && collections.size === 0) this.databases.delete(db);
    return collection;
  }

  /**
   * $out: the target gets exactly `docs`, keeping its options and indexes, or stays as it was when a
   * document is refused (duplicate key, validation). The target is a new collection object (new UUID), as
   * after mongod's rename, so cursors on the old contents end.
   */
  replaceCollectionContents(db: string, name: string, docs: Doc[], bypassValidation: boolean): void {
    validateNames(db, name);
    const existing = this.collection(db, name);
    const replacement = new Collection(db, name, existing?.options ?? {});
    for (const spec of existing?.indexSpecs() ?? []) if (spec.name !== ID_INDEX_SPEC.name) replacement.createIndex(spec);
    for (const doc of docs) replacement.insert(doc, bypassValidation);
    const collections = this.databases.get(db) ?? new Map<string, Collection>();
    collections.set(name, replacement);
    this.databases.set(db, collections);
  }

  dropDatabase(db: string): void {
    this.databases.delete(db);
  }

  databaseNames(): string[] {
    return [...this.databases.keys()];
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  expire(now: number): void {
    for (const collections of this.databases.values()) for (const collection of collections.values()) collection.expire(now);
  }

  clear(): void {
    this.databases.clear();
  }
}
