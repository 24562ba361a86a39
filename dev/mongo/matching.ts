import { Aggregator, find, ProcessingMode, Query } from 'mingo';
import type { CollationSpec, Options, SortSpec } from 'mingo/types';
import { cloneValue, isPlainObject, withIdFirst, type Doc } from './documents';
import { CommandError, toCommandError } from './errors';
import type { Collection } from './store';

/** Per-command settings passed to mingo: `let` variables, collation, and how `$lookup` finds collections. */
export interface QuerySettings {
  variables?: Doc;
  collation?: Doc;
  resolveCollection?: (name: string) => Doc[];
}

export function mingoOptions(settings: QuerySettings = {}): Partial<Options> {
  const locale = settings.collation?.locale;
  const collation = typeof locale === 'string' && locale !== 'simple' ? (settings.collation as unknown as CollationSpec) : undefined;
  return {
    idKey: '_id',
    ...(settings.variables ? { variables: settings.variables } : {}),
    ...(collation ? { collation } : {}),
    ...(settings.resolveCollection ? { collectionResolver: settings.resolveCollection } : {}),
  };
}

/** Compiles a filter up front so an unknown operator is a BadValue reply, not an error mid-scan. */
export function compileFilter(filter: Doc, settings: QuerySettings = {}): Query {
  try {
    return new Query(filter, mingoOptions(settings));
  } catch (error) {
    throw toCommandError(error);
  }
}

/** Matching documents in natural order; `limit` stops early (single-document updates and deletes). */
export function matchDocuments(collection: Collection, filter: Doc, settings: QuerySettings = {}, limit = 0): Doc[] {
  const query = Object.keys(filter).length ? compileFilter(filter, settings) : undefined;
  const matches: Doc[] = [];
  for (const doc of collection.candidates(filter)) {
    if (query && !query.test(doc)) continue;
    matches.push(doc);
    if (limit > 0 && matches.length >= limit) break;
  }
  return matches;
}

/** Normalises a sort document to mingo's `{ field: 1 | -1 }`; `$natural` is handled by the caller. */
export function parseSort(sort: Doc | undefined): SortSpec | undefined {
  if (!sort || Object.keys(sort).length === 0) return undefined;
  const spec: SortSpec = {};
  for (const [field, direction] of Object.entries(sort)) {
    if (field === '$natural') continue;
    if (typeof direction !== 'number' || direction === 0) {
      throw new CommandError('BadValue', `$sort key ordering must be 1 (for ascending) or -1 (for descending); got ${JSON.stringify(direction)} for ${field}`);
    }
    spec[field] = direction > 0 ? 1 : -1;
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

/** find/findAndModify/count semantics: filter, then sort, skip, limit, then projection. */
export function findDocuments(collection: Collection, spec: FindSpec, settings: QuerySettings = {}): Doc[] {
  const sort = parseSort(spec.sort);
  let matches = matchDocuments(collection, spec.filter, settings);
  if (spec.sort?.$natural !== undefined && Number(spec.sort.$natural) < 0) matches = matches.reverse();
  const needsCursor = sort || (spec.projection && Object.keys(spec.projection).length > 0);
  if (!needsCursor) return window(matches, spec.skip, spec.limit);
  try {
    // The filter already ran; mingo only sorts and projects here.
    const cursor = find(matches, {}, spec.projection ?? {}, mingoOptions(settings));
    if (sort) cursor.sort(sort);
    if (spec.skip) cursor.skip(spec.skip);
    if (spec.limit) cursor.limit(spec.limit);
    // mingo's projection appends _id; mongod keeps it first.
    return (cursor.all() as Doc[]).map(withIdFirst);
  } catch (error) {
    throw toCommandError(error);
  }
}

function window(docs: Doc[], skip = 0, limit = 0): Doc[] {
  if (!skip && !limit) return docs;
  return docs.slice(skip, limit ? skip + limit : undefined);
}

/** Applies a find-style projection to one document (findAndModify's `fields`). */
export function project(doc: Doc, projection: Doc | undefined, settings: QuerySettings = {}): Doc {
  if (!projection || Object.keys(projection).length === 0) return doc;
  try {
    return withIdFirst((find([doc], {}, projection, mingoOptions(settings)).all()[0] as Doc | undefined) ?? {});
  } catch (error) {
    throw toCommandError(error);
  }
}

/**
 * Stages that never write into their input documents. Any other stage ($addFields on a nested path,
 * $unwind, …) gets cloned input, because the input is the stored documents themselves.
 */
const NON_MUTATING_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount']);

/** Stages this server refuses rather than silently ignoring (they would write to other collections). */
const UNSUPPORTED_STAGES = new Set(['$out', '$merge', '$changeStream', '$currentOp', '$listSessions', '$search', '$vectorSearch']);

function stageName(stage: Doc): string {
  const keys = Object.keys(stage);
  if (keys.length !== 1) throw new CommandError('BadValue', 'A pipeline stage specification object must contain exactly one field.');
  return keys[0] as string;
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

/** Runs a pipeline; a leading `$match` goes through the collection's point lookups first. */
export function aggregateDocuments(collection: Collection | undefined, stages: Doc[], settings: QuerySettings = {}): Doc[] {
  const pipeline = rewriteStages(stages);
  const names = pipeline.map(stageName);
  const unsupported = names.find((name) => UNSUPPORTED_STAGES.has(name));
  if (unsupported) throw new CommandError('BadValue', `${unsupported} is not supported by the embedded MongoDB dev server`);
  const [first] = pipeline;
  const leadingMatch = first && names[0] === '$match' && isPlainObject(first.$match) ? first.$match : undefined;
  const source = collection ? (leadingMatch ? matchDocuments(collection, leadingMatch, settings) : [...collection.documents()]) : [];
  const rest = leadingMatch ? pipeline.slice(1) : pipeline;
  if (rest.length === 0) return source;
  const mutating = rest.some((stage) => !NON_MUTATING_STAGES.has(stageName(stage)));
  try {
    const options = { ...mingoOptions(settings), processingMode: mutating ? ProcessingMode.CLONE_INPUT : ProcessingMode.CLONE_OFF };
    return new Aggregator(rest, options).run<Doc>(source).map(withIdFirst);
  } catch (error) {
    throw toCommandError(error);
  }
}

/** `$lookup`/`$graphLookup` read other collections of the same database; they get copies. */
export function collectionResolver(lookup: (name: string) => Collection | undefined): (name: string) => Doc[] {
  return (name) => [...(lookup(name)?.documents() ?? [])].map((doc) => cloneValue(doc));
}
