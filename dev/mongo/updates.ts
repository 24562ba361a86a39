import { ObjectId } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { ProcessingMode } from 'mingo/core';
import { cloneValue, formatValue, isPlainObject, setPath, withIdFirst, type Doc } from './documents';
import { CommandError, toCommandError } from './errors';
import { mingoOptions, type QuerySettings } from './matching';
import { hasPositionalPaths, resolvePositionalPaths } from './positional';
import { applyOperators } from './update-operators';
import { compareNumbers, numericKind, queryForm, valuesEqual } from './values';

/** The three update shapes mongod accepts. */
export type ParsedUpdate =
  | { kind: 'operators'; operators: Doc }
  | { kind: 'replacement'; replacement: Doc }
  | { kind: 'pipeline'; stages: Doc[] };

export interface UpdateSettings extends QuerySettings {
  /** The statement's filter: seeds upserts and resolves the positional `$` operator. */
  filter: Doc;
  arrayFilters?: Doc[];
}

const UPDATE_OPERATORS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$currentDate', '$push', '$pull', '$pullAll',
  '$addToSet', '$pop', '$bit', '$setOnInsert',
]);

const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Classifies `u`/`update` like mongod: array → pipeline, `$`-keys → operators, otherwise a replacement. */
export function parseUpdate(raw: unknown): ParsedUpdate {
  if (Array.isArray(raw)) return { kind: 'pipeline', stages: parsePipeline(raw as unknown[]) };
  if (!isPlainObject(raw)) throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(raw);
  if (keys.length === 0 || !keys[0]?.startsWith('$')) {
    const dollar = keys.find((key) => key.startsWith('$'));
    if (dollar) throw new CommandError('DollarPrefixedFieldName', `The dollar ($) prefixed field '${dollar}' in '${dollar}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`);
    return { kind: 'replacement', replacement: raw };
  }
  for (const key of keys) {
    if (!UPDATE_OPERATORS.has(key)) {
      throw new CommandError('FailedToParse', `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    const fields = raw[key];
    if (!isPlainObject(fields)) {
      throw new CommandError('FailedToParse', `Modifiers operate on fields but we found type ${typeof fields} instead. For example: {$mod: {<field>: ...}} not {${key}: ${formatValue(fields)}}`);
    }
  }
  return { kind: 'operators', operators: raw };
}

function parsePipeline(stages: unknown[]): Doc[] {
  return stages.map((stage) => {
    const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (!isPlainObject(stage) || name === undefined || !PIPELINE_UPDATE_STAGES.has(name)) {
      throw new CommandError('InvalidOptions', `${name ?? 'stage'} is not allowed to be used within an update`);
    }
    return stage;
  });
}

/** Returns the updated copy of `current`; `current` itself is never touched (stored documents are immutable). */
export function applyUpdate(current: Doc, update: ParsedUpdate, settings: UpdateSettings): Doc {
  switch (update.kind) {
    case 'operators':
      return applyOperatorUpdate(current, update.operators, settings, false);
    case 'replacement':
      return applyReplacement(current, update.replacement);
    case 'pipeline':
      return applyPipeline(current, update.stages, settings);
  }
}

/** The document an upsert inserts: the filter's equality fields, then the update (with `$setOnInsert`). */
export function buildUpsertDocument(update: ParsedUpdate, settings: UpdateSettings): Doc {
  const seed: Doc = {};
  if (update.kind === 'replacement') {
    // A replacement keeps only the filter's _id, never its other fields.
    const id = equalityOf(settings.filter._id);
    if (id.found) seed._id = cloneValue(id.value);
  } else {
    collectEqualities(settings.filter, seed);
  }
  let doc: Doc;
  if (update.kind === 'operators') doc = applyOperatorUpdate(seed, update.operators, settings, true);
  else if (update.kind === 'replacement') doc = applyReplacement(seed, update.replacement);
  else doc = applyPipeline(seed, update.stages, settings);
  return ensureId(doc);
}

/** Gives a new document an ObjectId `_id` when it has none, puts `_id` first, and checks it as mongod does. */
export function ensureId(doc: Doc): Doc {
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  if (Array.isArray(doc._id)) throw new CommandError('InvalidIdField', "The '_id' value cannot be of type array");
  if (doc._id instanceof RegExp) throw new CommandError('InvalidIdField', "can't use a regex for _id");
  const dollar = dollarPrefixedKey(doc._id);
  if (dollar) throw new CommandError('DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`);
  return withIdFirst(doc);
}

function dollarPrefixedKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = dollarPrefixedKey(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) return key;
    const found = dollarPrefixedKey(item);
    if (found) return found;
  }
  return undefined;
}

function equalityOf(condition: unknown): { found: true; value: unknown } | { found: false } {
  if (condition === undefined || condition instanceof RegExp) return { found: false };
  if (!isPlainObject(condition)) return { found: true, value: condition };
  if (!Object.keys(condition).some((key) => key.startsWith('$'))) return { found: true, value: condition };
  return '$eq' in condition ? { found: true, value: condition.$eq } : { found: false };
}

function collectEqualities(filter: Doc, into: Doc): void {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition as unknown[]) if (isPlainObject(clause)) collectEqualities(clause, into);
      continue;
    }
    if (key.startsWith('$')) continue;
    const equality = equalityOf(condition);
    if (equality.found) setPath(into, key, cloneValue(equality.value));
  }
}

function idChangedError(value: unknown): CommandError {
  return new CommandError('ImmutableField', `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(value)}`);
}

function applyOperatorUpdate(current: Doc, operators: Doc, settings: UpdateSettings, inserting: boolean): Doc {
  const next = cloneValue(current);
  const active = hasPositionalPaths(operators) ? resolvePositionalPaths(current, operators, settings) : operators;
  applyOperators(next, active, { ...settings, inserting });
  if (!inserting && !valuesEqual(next._id, current._id)) {
    if (next._id === undefined) throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    throw idChangedError(next._id);
  }
  return withIdFirst(next);
}

function applyReplacement(current: Doc, replacement: Doc): Doc {
  const { _id: newId, ...fields } = replacement;
  if (newId !== undefined && current._id !== undefined && !valuesEqual(newId, current._id)) throw idChangedError(newId);
  const id = current._id ?? newId;
  return withIdFirst({ ...(id === undefined ? {} : { _id: id }), ...cloneValue(fields) });
}

/**
 * Pipeline updates run through mingo on the query form. Values the pipeline left as they were get their
 * stored BSON types back, and a pipeline that drops `_id` ($replaceRoot…) keeps it, as mongod does.
 */
function applyPipeline(current: Doc, stages: Doc[], settings: UpdateSettings): Doc {
  let next: Doc;
  try {
    const [result] = new Aggregator(queryForm(stages), { ...mingoOptions(settings), processingMode: ProcessingMode.CLONE_INPUT }).run<Doc>([queryForm(current)]);
    next = restoreTypes(result ?? {}, current) as Doc;
  } catch (error) {
    throw toCommandError(error);
  }
  if (current._id !== undefined) {
    if (next._id === undefined) next = { _id: current._id, ...next };
    else if (!valuesEqual(next._id, current._id)) throw idChangedError(next._id);
  }
  return withIdFirst(next);
}

function restoreTypes(value: unknown, original: unknown): unknown {
  if (Array.isArray(value)) return Array.isArray(original) ? value.map((item, i) => restoreTypes(item, original[i])) : value;
  if (isPlainObject(value)) {
    if (!isPlainObject(original)) return value;
    const out: Doc = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__') Object.defineProperty(out, key, { value: restoreTypes(item, original[key]), enumerable: true, writable: true, configurable: true });
      else out[key] = restoreTypes(item, original[key]);
    }
    return out;
  }
  if (numericKind(value) !== undefined && numericKind(original) !== undefined && compareNumbers(value, original) === 0) return original;
  return value;
}
