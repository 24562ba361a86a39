import { ObjectId } from 'bson';
import { update as mingoUpdate, updateOne as mingoUpdateOne } from 'mingo';
import type { Modifier, PipelineStage } from 'mingo/updater';
import { cloneValue, formatValue, isPlainObject, sameValue, setPath, withIdFirst, type Doc } from './documents';
import { CommandError, toCommandError } from './errors';
import { mingoOptions, type QuerySettings } from './matching';
import { hasPositionalPaths, resolvePositionalPaths } from './positional';

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
      return applyOperators(current, update.operators, settings, false);
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
  if (update.kind === 'operators') doc = applyOperators(seed, update.operators, settings, true);
  else if (update.kind === 'replacement') doc = applyReplacement(seed, update.replacement);
  else doc = applyPipeline(seed, update.stages, settings);
  return ensureId(doc);
}

/** Gives a new document an ObjectId `_id` when it has none, and puts `_id` first. */
export function ensureId(doc: Doc): Doc {
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  if (Array.isArray(doc._id)) throw new CommandError('InvalidIdField', "The '_id' value cannot be of type array");
  return withIdFirst(doc);
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

/**
 * mingo refuses any operator on `_id`; mongod allows setting it to its current value, and `$set`/
 * `$setOnInsert` of `_id` when inserting. Pull such `_id` assignments out before handing over to mingo.
 */
function takeIdAssignment(target: Doc, fields: Doc): Doc {
  if (!Object.hasOwn(fields, '_id')) return fields;
  const { _id: value, ...rest } = fields;
  if (target._id === undefined) target._id = cloneValue(value);
  else if (!sameValue(target._id, value)) throw idChangedError(value);
  return rest;
}

function runOperators(doc: Doc, operators: Doc, settings: UpdateSettings): void {
  const nonEmpty = Object.fromEntries(Object.entries(operators).filter(([, fields]) => isPlainObject(fields) && Object.keys(fields).length > 0));
  const active = hasPositionalPaths(nonEmpty) ? resolvePositionalPaths(doc, nonEmpty, settings) : nonEmpty;
  if (Object.values(active).every((fields) => !isPlainObject(fields) || Object.keys(fields).length === 0)) return;
  try {
    // Paths are concrete by now, so mingo needs neither the filter nor arrayFilters.
    mingoUpdate(doc, active as Modifier<Doc>, [], {}, { cloneMode: 'deep', queryOptions: mingoOptions(settings) });
  } catch (error) {
    throw toCommandError(error);
  }
}

function applyOperators(current: Doc, operators: Doc, settings: UpdateSettings, inserting: boolean): Doc {
  const next = cloneValue(current);
  const { $setOnInsert, ...rest } = operators;
  if (isPlainObject(rest.$set)) rest.$set = takeIdAssignment(next, rest.$set);
  runOperators(next, rest, settings);
  if (inserting && isPlainObject($setOnInsert)) runOperators(next, { $set: takeIdAssignment(next, $setOnInsert) }, settings);
  return next;
}

function applyReplacement(current: Doc, replacement: Doc): Doc {
  const { _id: newId, ...fields } = replacement;
  if (newId !== undefined && current._id !== undefined && !sameValue(newId, current._id)) throw idChangedError(newId);
  const id = current._id ?? newId;
  return withIdFirst({ ...(id === undefined ? {} : { _id: id }), ...cloneValue(fields) });
}

function applyPipeline(current: Doc, stages: Doc[], settings: UpdateSettings): Doc {
  const docs = [cloneValue(current)];
  try {
    mingoUpdateOne(docs, {}, stages as PipelineStage[], {}, mingoOptions(settings));
  } catch (error) {
    throw toCommandError(error);
  }
  const next = docs[0] ?? {};
  if (current._id !== undefined && !sameValue(next._id, current._id)) throw idChangedError(next._id);
  return withIdFirst(next);
}
