import { Aggregator } from 'mingo/aggregator';
import { ProcessingMode } from 'mingo/core';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { isPlainObject, setPath, withIdFirst, type Doc } from './documents';
import { CommandError, notSupported, toCommandError } from './errors';
import { applyPlainProjection, isPlainProjection } from './projection';
import { queryContext, rememberTypedSource, sortDocuments } from './query-operators';
import type { Collection } from './store';
import { numericKind, queryForm, type StringComparer } from './values';

/**
 * Per-command settings: evaluated `let` variables, the collation's string comparer, and how `$lookup`
 * finds collections. Everything handed to mingo goes through queryForm (values.ts) and the operator
 * context of query-operators.ts.
 */
export interface QuerySettings {
  variables?: Doc;
  strings?: StringComparer;
  resolveCollection?: (name: string) => Doc[];
}

export function mingoOptions(settings: QuerySettings = {}): Partial<Options> {
  return {
    idKey: '_id',
    context: queryContext(settings.strings),
    ...(settings.variables ? { variables: queryForm(settings.variables) } : {}),
    ...(settings.resolveCollection ? { collectionResolver: settings.resolveCollection } : {}),
  };
}

/** The query form of a stored document, built once per stored version (stored documents are immutable). */
const queryForms = new WeakMap<Doc, Doc>();

export function queryDocument(doc: Doc): Doc {
  let form = queryForms.get(doc);
  if (!form) {
    form = queryForm(doc);
    queryForms.set(doc, form);
    rememberTypedSource(form, doc);
  }
  return form;
}

/**
 * Query operators whose string comparisons honour a collation here. Under a non-simple collation any
 * other operator ($expr, $all, $where…) is refused: mingo would compare its strings binary.
 */
const COLLATION_AWARE = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$and', '$or', '$nor', '$not', '$exists', '$type', '$elemMatch', '$size',
  '$regex', '$options', '$mod', '$bitsAllSet', '$bitsAnySet', '$bitsAllClear', '$bitsAnyClear',
]);

function assertCollationAware(filter: unknown): void {
  if (Array.isArray(filter)) {
    filter.forEach(assertCollationAware);
    return;
  }
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$') && !COLLATION_AWARE.has(key)) throw notSupported(`query operator ${key} with a non-simple collation`);
    assertCollationAware(value);
  }
}

/** Compiles a filter up front so an unknown operator is a BadValue reply, not an error mid-scan. */
export function compileFilter(filter: Doc, settings: QuerySettings = {}): Query {
  if (settings.strings) assertCollationAware(filter);
  try {
    return new Query(queryForm(filter), mingoOptions(settings));
  } catch (error) {
    throw toCommandError(error);
  }
}

/** Matching documents in natural order; `limit` stops early (single-document updates and deletes). */
export function matchDocuments(collection: Collection, filter: Doc, settings: QuerySettings = {}, limit = 0): Doc[] {
  const query = Object.keys(filter).length ? compileFilter(filter, settings) : undefined;
  const matches: Doc[] = [];
  for (const doc of collection.candidates(filter)) {
    if (query && !query.test(queryDocument(doc))) continue;
    matches.push(doc);
    if (limit > 0 && matches.length >= limit) break;
  }
  return matches;
}

/** Validates a sort document and normalises it to `{ field: 1 | -1 }`; `$natural` is handled by the caller. */
export function parseSort(sort: Doc | undefined): Record<string, 1 | -1> | undefined {
  if (!sort || Object.keys(sort).length === 0) return undefined;
  const spec: Record<string, 1 | -1> = {};
  for (const [field, direction] of Object.entries(sort)) {
    if (field === '$natural') continue;
    if (isPlainObject(direction) && '$meta' in direction) throw notSupported(`sort by { $meta: ${String(direction.$meta)} }`);
    const value = typeof direction === 'number' ? direction : Number(direction?.valueOf());
    if (value !== 1 && value !== -1) {
      throw new CommandError('BadValue', `$sort key ordering must be 1 (for ascending) or -1 (for descending); got ${JSON.stringify(direction)} for ${field}`);
    }
    spec[field] = value;
  }
  return Object.keys(spec).length ? spec : undefined;
}

export interface FindSpec {
  filter: Doc;
  sort?: Doc;
  projection?: Doc;
  skip?: number;
  limit?: number;
}

/** find/findAndModify/count semantics: filter, then sort, skip, limit (projection is applied by callers). */
export function findDocuments(collection: Collection, spec: FindSpec, settings: QuerySettings = {}): Doc[] {
  const sort = parseSort(spec.sort);
  let matches = matchDocuments(collection, spec.filter, settings);
  if (spec.sort?.$natural !== undefined && Number(spec.sort.$natural) < 0) matches = matches.reverse();
  if (sort) matches = sortDocuments(matches, sort, settings.strings);
  const skip = spec.skip ?? 0;
  return spec.limit ? matches.slice(skip, skip + spec.limit) : skip ? matches.slice(skip) : matches;
}

/**
 * Applies a find-style projection to one document. `filter` is the query's, for the positional `$`
 * (`{ 'items.$': 1 }`: the first element the query's conditions on `items` match).
 */
export function project(doc: Doc, projection: Doc | undefined, settings: QuerySettings = {}, filter: Doc = {}): Doc {
  if (!projection || Object.keys(projection).length === 0) return doc;
  const positional = Object.keys(projection).filter((key) => key.endsWith('.$'));
  if (positional.length > 0) return positionalProjection(doc, projection, positional, settings, filter);
  if (isPlainProjection(projection)) return applyPlainProjection(doc, projection);
  try {
    const result = new Query({}, mingoOptions(settings)).find<Doc>([queryDocument(doc)], queryForm(projection)).all()[0];
    // mingo's projection appends _id; mongod keeps it first.
    return withIdFirst(result ?? {});
  } catch (error) {
    throw toCommandError(error);
  }
}

function positionalProjection(doc: Doc, projection: Doc, keys: string[], settings: QuerySettings, filter: Doc): Doc {
  if (keys.length > 1) throw new CommandError('BadValue', 'Cannot specify more than one positional proj. per query.');
  const key = keys[0] as string;
  const field = key.slice(0, -2);
  const rest: Doc = { ...projection, [field]: 1 };
  delete rest[key];
  if (!isPlainProjection(rest)) throw notSupported('a positional projection combined with other projection operators');
  const conditions = Object.entries(filter).filter(([path]) => path === field || path.startsWith(`${field}.`));
  if (conditions.length === 0) throw new CommandError('BadValue', "positional operator '.$' requires corresponding field in query specifier");
  const projected = applyPlainProjection(doc, rest);
  const holder = field.split('.').reduce<unknown>((value, part) => (isPlainObject(value) ? value[part] : undefined), doc);
  if (!Array.isArray(holder)) return projected;
  const query = compileFilter(Object.fromEntries(conditions), settings);
  const index = holder.findIndex((element) => {
    const probe: Doc = {};
    setPath(probe, field, [queryForm(element)]);
    return query.test(probe);
  });
  if (index < 0) {
    throw new CommandError('Location51246', "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array");
  }
  setPath(projected, field, [holder[index]]);
  return projected;
}

/**
 * Stages that never write into their input documents. Any other stage ($addFields on a nested path,
 * $unwind, …) gets cloned input, because the input is the cached query forms of stored documents.
 */
const NON_MUTATING_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount']);

/** Stages mingo implements (besides $out/$merge, which aggregate-output.ts does). */
const SUPPORTED_STAGES = new Set([
  '$addFields', '$bucket', '$bucketAuto', '$count', '$densify', '$documents', '$facet', '$fill', '$graphLookup', '$group', '$limit',
  '$lookup', '$match', '$project', '$redact', '$replaceRoot', '$replaceWith', '$sample', '$set', '$setWindowFields', '$skip', '$sort',
  '$sortByCount', '$unionWith', '$unset', '$unwind',
]);

/** MongoDB stages this server does not have: refused by name, not reported as unknown. */
const KNOWN_UNSUPPORTED_STAGES = new Set([
  '$changeStream', '$changeStreamSplitLargeEvent', '$collStats', '$currentOp', '$geoNear', '$indexStats', '$listSampledQueries',
  '$listSearchIndexes', '$listSessions', '$planCacheStats', '$search', '$searchMeta', '$shardedDataDistribution', '$vectorSearch',
]);

/** Under a non-simple collation only these stages are exact (mingo groups and compares expressions binary). */
const COLLATION_SAFE_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$project', '$unset', '$documents']);

/** Accumulators that never compare strings. */
const COLLATION_NEUTRAL_ACCUMULATORS = new Set(['$sum', '$avg', '$count', '$push', '$first', '$last']);

/**
 * A `$group` on a constant key with accumulators that never compare strings (the driver's countDocuments:
 * `{ _id: 1, n: { $sum: 1 } }`) gives the same result under any collation.
 */
function isCollationNeutralGroup(spec: unknown): boolean {
  if (!isPlainObject(spec)) return false;
  const { _id: key, ...accumulators } = spec;
  const constantKey = key === null || typeof key === 'boolean' || numericKind(key) !== undefined;
  return constantKey && Object.values(accumulators).every((accumulator) => isPlainObject(accumulator) && Object.keys(accumulator).every((name) => COLLATION_NEUTRAL_ACCUMULATORS.has(name)));
}

export function stageName(stage: Doc): string {
  const keys = Object.keys(stage);
  if (keys.length !== 1) throw new CommandError('Location40324', 'A pipeline stage specification object must contain exactly one field.');
  return keys[0] as string;
}

function checkStages(pipeline: Doc[], settings: QuerySettings): void {
  for (const stage of pipeline) {
    const name = stageName(stage);
    if (KNOWN_UNSUPPORTED_STAGES.has(name)) throw notSupported(name);
    if (!SUPPORTED_STAGES.has(name)) throw new CommandError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
    const neutral = COLLATION_SAFE_STAGES.has(name) || (name === '$group' && isCollationNeutralGroup(stage.$group));
    if (settings.strings && !neutral) throw notSupported(`${name} with a non-simple collation`);
    if (settings.strings && (name === '$project' || name === '$unset') && isPlainObject(stage[name]) && !isPlainProjection(stage[name])) {
      throw notSupported(`${name} with expressions under a non-simple collation`);
    }
    if (name === '$match' && settings.strings) assertCollationAware(stage.$match);
  }
}

/**
 * `$count` as mongod defines it — `$group` + `$project` — because mingo's own `$count` answers `[{ n: 0 }]`
 * for no input where mongod answers `[]`. Applied inside `$facet` too.
 */
function rewriteStages(pipeline: Doc[]): Doc[] {
  return pipeline.flatMap((stage): Doc[] => {
    const name = stageName(stage);
    if (name === '$count') {
      const field = stage.$count;
      if (typeof field !== 'string' || !field || field.startsWith('$') || field.includes('.')) {
        throw new CommandError('BadValue', 'the count field must be a non-empty string that does not start with $ and does not contain .');
      }
      return [{ $group: { _id: null, [field]: { $sum: 1 } } }, { $project: { _id: 0, [field]: 1 } }];
    }
    if (name === '$facet' && isPlainObject(stage.$facet)) {
      const facets = Object.entries(stage.$facet).map(([key, sub]) => [key, Array.isArray(sub) ? rewriteStages(sub.filter(isPlainObject)) : sub]);
      return [{ $facet: Object.fromEntries(facets) }];
    }
    return [stage];
  });
}

/**
 * Runs a pipeline (without a final $out/$merge); a leading `$match` goes through the collection's point
 * lookups first. Documents that pass through unchanged come back as the stored, typed documents.
 */
export function aggregateDocuments(collection: Collection | undefined, stages: Doc[], settings: QuerySettings = {}, input?: Doc[]): Doc[] {
  checkStages(stages, settings);
  const pipeline = rewriteStages(stages);
  const [first] = pipeline;
  const leadingMatch = !input && collection && first && stageName(first) === '$match' && isPlainObject(first.$match) ? first.$match : undefined;
  const source = input ?? (collection ? (leadingMatch ? matchDocuments(collection, leadingMatch, settings) : [...collection.documents()]) : []);
  const rest = leadingMatch ? pipeline.slice(1) : pipeline;
  if (rest.length === 0) return source;
  const mutating = rest.some((stage) => !NON_MUTATING_STAGES.has(stageName(stage)));
  try {
    const options = { ...mingoOptions(settings), processingMode: mutating ? ProcessingMode.CLONE_INPUT : ProcessingMode.CLONE_OFF };
    const forms = source.map(queryDocument);
    const typed = new Map(forms.map((form, index) => [form, source[index] as Doc]));
    return new Aggregator(queryForm(rest), options).run<Doc>(forms).map((doc) => typed.get(doc) ?? withIdFirst(doc));
  } catch (error) {
    throw toCommandError(error);
  }
}

/** `$lookup`/`$graphLookup` read other collections of the same database; they get query-form copies. */
export function collectionResolver(lookup: (name: string) => Collection | undefined): (name: string) => Doc[] {
  return (name) => [...(lookup(name)?.documents() ?? [])].map((doc) => queryForm(doc));
}

/**
 * Evaluates a command's `let` (expressions such as `{ $literal: … }` or `$$NOW`, evaluated once, as mongod
 * does) into plain variable values.
 */
export function evaluateVariables(letDoc: Doc | undefined): Doc | undefined {
  if (!letDoc) return undefined;
  for (const name of Object.keys(letDoc)) {
    if (!/^[a-z][A-Za-z0-9_]*$/.test(name)) throw new CommandError('FailedToParse', `'${name}' starts with an invalid character for a user variable name`);
  }
  try {
    const [values] = new Aggregator([{ $addFields: queryForm(letDoc) }], mingoOptions()).run<Doc>([{}]);
    return values ?? {};
  } catch (error) {
    throw toCommandError(error);
  }
}
