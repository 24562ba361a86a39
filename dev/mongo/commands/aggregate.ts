import { Aggregator } from 'mingo/aggregator';
import { ProcessingMode } from 'mingo/core';
import { ObjectId } from 'bson';
import { cloneValue, isPlainObject, valuesAtPath, withIdFirst, type Doc } from '../documents';
import { CommandError, duplicateKeyError, notSupported, toCommandError } from '../errors';
import { aggregateDocuments, mingoOptions, stageName, type QuerySettings } from '../matching';
import type { Collection } from '../store';
import { queryForm, valuesEqual } from '../values';
import type { CommandContext } from './context';

/**
 * The parts of aggregate that reach outside the pipeline's input: `$listLocalSessions` as a source, and
 * `$out` / `$merge`, which write the results to a collection and return none.
 */
export function runAggregate(ctx: CommandContext, collection: Collection | undefined, pipeline: Doc[], settings: QuerySettings): Doc[] {
  pipeline.forEach((stage, index) => {
    const name = stageName(stage);
    if ((name === '$out' || name === '$merge') && index !== pipeline.length - 1) {
      throw new CommandError('BadValue', `${name} can only be the final stage in the pipeline`);
    }
    if (name === '$listLocalSessions' && index !== 0) throw new CommandError('BadValue', '$listLocalSessions must be the first stage in the pipeline');
  });
  const [first] = pipeline;
  const last = pipeline[pipeline.length - 1];
  const output = last && ['$out', '$merge'].includes(stageName(last)) ? last : undefined;
  let stages = output ? pipeline.slice(0, -1) : pipeline;
  let input: Doc[] | undefined;
  if (first && stageName(first) === '$listLocalSessions') {
    input = listLocalSessions(ctx, first.$listLocalSessions);
    stages = stages.slice(1);
  }
  const docs = aggregateDocuments(collection, stages, settings, input);
  if (!output) return docs;
  if (stageName(output) === '$out') writeOut(ctx, output.$out, docs, bypassValidation(ctx));
  else merge(ctx, output.$merge, docs, settings);
  return [];
}

function bypassValidation(ctx: CommandContext): boolean {
  return ctx.args.bool('bypassDocumentValidation');
}

function listLocalSessions(ctx: CommandContext, spec: unknown): Doc[] {
  if (!isPlainObject(spec)) throw new CommandError('TypeMismatch', '$listLocalSessions requires an object argument');
  if (spec.users !== undefined) throw notSupported('$listLocalSessions with users');
  return ctx.sessions.list();
}

/** `'coll'` or `{ db, coll }`: the target namespace of $out/$merge. */
function target(ctx: CommandContext, spec: unknown, stage: string): { db: string; name: string } {
  if (typeof spec === 'string') return { db: ctx.db, name: spec };
  if (isPlainObject(spec) && typeof spec.coll === 'string') return { db: typeof spec.db === 'string' ? spec.db : ctx.db, name: spec.coll };
  throw new CommandError('FailedToParse', `${stage} must be a string or an object with a 'coll' field`);
}

/** $out: the target's contents are replaced all at once, or not at all when a document is refused. */
function writeOut(ctx: CommandContext, spec: unknown, docs: Doc[], bypass: boolean): void {
  if (isPlainObject(spec) && spec.timeseries !== undefined) throw notSupported('$out to a time-series collection');
  const { db, name } = target(ctx, spec, '$out');
  const withIds = docs.map((doc) => (doc._id === undefined ? withIdFirst({ _id: new ObjectId(), ...doc }) : cloneValue(doc)));
  ctx.store.replaceCollectionContents(db, name, withIds, bypass);
}

interface MergeSpec {
  db: string;
  name: string;
  on: string[];
  whenMatched: 'replace' | 'keepExisting' | 'merge' | 'fail' | Doc[];
  whenNotMatched: 'insert' | 'discard' | 'fail';
  variables: Doc | undefined;
}

function parseMerge(ctx: CommandContext, raw: unknown): MergeSpec {
  const spec = typeof raw === 'string' ? { into: raw } : raw;
  if (!isPlainObject(spec)) throw new CommandError('TypeMismatch', '$merge requires a string or an object');
  const { db, name } = target(ctx, spec.into, '$merge into');
  const on = spec.on === undefined ? ['_id'] : Array.isArray(spec.on) ? spec.on.map(String) : [String(spec.on)];
  const whenMatched = spec.whenMatched ?? 'merge';
  const whenNotMatched = spec.whenNotMatched ?? 'insert';
  if (!Array.isArray(whenMatched) && !['replace', 'keepExisting', 'merge', 'fail'].includes(String(whenMatched))) {
    throw new CommandError('BadValue', `Enumeration value '${String(whenMatched)}' for field '$merge.whenMatched' is not a valid value.`);
  }
  if (!['insert', 'discard', 'fail'].includes(String(whenNotMatched))) {
    throw new CommandError('BadValue', `Enumeration value '${String(whenNotMatched)}' for field '$merge.whenNotMatched' is not a valid value.`);
  }
  if (spec.let !== undefined && !Array.isArray(whenMatched)) throw new CommandError('BadValue', 'Cannot use let variables with whenMatched other than a pipeline');
  return {
    db,
    name,
    on,
    whenMatched: whenMatched as MergeSpec['whenMatched'],
    whenNotMatched: whenNotMatched as MergeSpec['whenNotMatched'],
    variables: isPlainObject(spec.let) ? spec.let : undefined,
  };
}

/** $merge: each result is matched in the target by the `on` fields and written as whenMatched/whenNotMatched say. */
function merge(ctx: CommandContext, raw: unknown, docs: Doc[], settings: QuerySettings): void {
  const spec = parseMerge(ctx, raw);
  const { collection } = ctx.store.ensureCollection(spec.db, spec.name);
  if (spec.on.length !== 1 || spec.on[0] !== '_id') collection.requireUniqueIndex(spec.on);
  const bypass = bypassValidation(ctx);
  for (const result of docs) {
    const doc = spec.on.includes('_id') && result._id === undefined ? withIdFirst({ _id: new ObjectId(), ...result }) : result;
    const key = spec.on.map((field) => {
      const values = valuesAtPath(doc, field);
      if (values.length !== 1 || values[0] === undefined || values[0] === null || Array.isArray(doc[field])) {
        throw new CommandError('BadValue', `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
      }
      return values[0];
    });
    const existing = [...collection.documents()].find((stored) => spec.on.every((field, i) => valuesEqual(valuesAtPath(stored, field)[0], key[i], settings.strings)));
    if (!existing) {
      if (spec.whenNotMatched === 'insert') collection.insert(cloneValue(doc), bypass);
      else if (spec.whenNotMatched === 'fail') throw new CommandError('BadValue', '$merge could not find a matching document in the target collection for at least one document in the source collection');
      continue;
    }
    const updated = mergeMatched(spec, existing, doc, settings);
    if (updated === 'fail') throw duplicateKeyError(collection.ns, '_id_', { _id: 1 }, { _id: existing._id });
    if (updated) collection.replace(existing, updated, bypass);
  }
}

function mergeMatched(spec: MergeSpec, existing: Doc, incoming: Doc, settings: QuerySettings): Doc | undefined | 'fail' {
  switch (spec.whenMatched) {
    case 'fail':
      return 'fail';
    case 'keepExisting':
      return undefined;
    case 'replace':
      return withIdFirst({ ...cloneValue(incoming), _id: existing._id });
    case 'merge':
      return withIdFirst({ ...existing, ...cloneValue(incoming), _id: existing._id });
    default: {
      const variables = { ...settings.variables, ...spec.variables, new: incoming };
      try {
        const options = { ...mingoOptions({ ...settings, variables }), processingMode: ProcessingMode.CLONE_INPUT };
        const [result] = new Aggregator(queryForm(spec.whenMatched), options).run<Doc>([queryForm(existing)]);
        return withIdFirst({ ...(result ?? {}), _id: existing._id });
      } catch (error) {
        throw toCommandError(error);
      }
    }
  }
}
