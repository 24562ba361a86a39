import { Double, Int32, Long, Timestamp } from 'bson';
import { cloneValue, formatValue, isPlainObject, type Doc } from './documents';
import { CommandError, notSupported } from './errors';
import { compileFilter, type QuerySettings } from './matching';
import { bsonTypeAlias } from './query-operators';
import { compareValues, exactNumber, numericKind, queryForm, toDouble, valuesEqual } from './values';

/**
 * MongoDB's update operators, applied to a copy of a stored document. Written here rather than taken
 * from mingo so that numbers keep their BSON types ($inc on int32 stays int32 until it overflows into
 * int64, as mongod does) and invalid updates fail with mongod's codes (TypeMismatch, PathNotViable,
 * ConflictingUpdateOperators…) before anything is stored.
 */
export interface OperatorSettings extends QuerySettings {
  /** The document is being inserted by an upsert: `$setOnInsert` applies. */
  inserting: boolean;
}

interface Change {
  operator: string;
  path: string;
  parts: string[];
  value: unknown;
}

type Container = Doc | unknown[];

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isIndex(part: string): boolean {
  return /^\d+$/.test(part);
}

function pathError(path: string): CommandError | undefined {
  const parts = path.split('.');
  if (path === '' || parts.some((part) => part === '')) return new CommandError('EmptyFieldName', `The update path '${path}' contains an empty field name, which is not allowed.`);
  const dollar = parts.find((part) => part.startsWith('$'));
  if (dollar) return new CommandError('DollarPrefixedFieldName', `The dollar ($) prefixed field '${dollar}' in '${path}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`);
  return undefined;
}

/** Field paths in the order mongod applies them: by component, numeric names numerically. */
function comparePaths(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    if (isIndex(x) && isIndex(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function isPrefix(shorter: string[], longer: string[]): boolean {
  return shorter.length <= longer.length && shorter.every((part, i) => part === longer[i]);
}

/** Two changes on one path, or on a path and its parent, are refused as mongod refuses them. */
function assertNoConflicts(changes: Change[]): void {
  const targets = changes.flatMap((change) => {
    const own = { path: change.path, parts: change.parts };
    if (change.operator !== '$rename') return [own];
    const to = String(change.value);
    return [own, { path: to, parts: to.split('.') }];
  });
  const sorted = [...targets].sort((a, b) => comparePaths(a.parts, b.parts));
  for (let i = 1; i < sorted.length; i += 1) {
    const previous = sorted[i - 1] as { path: string; parts: string[] };
    const current = sorted[i] as { path: string; parts: string[] };
    if (isPrefix(previous.parts, current.parts)) {
      throw new CommandError('ConflictingUpdateOperators', `Updating the path '${current.path}' would create a conflict at '${previous.path}'`);
    }
  }
}

function collectChanges(operators: Doc, inserting: boolean): Change[] {
  const changes: Change[] = [];
  for (const [operator, fields] of Object.entries(operators)) {
    if (operator === '$setOnInsert' && !inserting) {
      // Not applied, but mongod still checks its paths against the others.
      for (const path of Object.keys(fields as Doc)) changes.push({ operator: '$noop', path, parts: path.split('.'), value: undefined });
      continue;
    }
    for (const [path, value] of Object.entries(fields as Doc)) {
      const invalid = pathError(path);
      if (invalid) throw invalid;
      if (operator === '$rename') {
        if (typeof value !== 'string') throw new CommandError('BadValue', `The 'to' field for $rename must be a string: ${path}: ${formatValue(value)}`);
        const to = pathError(value);
        if (to) throw to;
        if (value === path) throw new CommandError('BadValue', `The source and target field for $rename must differ: ${path}: "${value}"`);
      }
      changes.push({ operator, path, parts: path.split('.'), value });
    }
  }
  return changes;
}

/** Applies `operators` to `doc` in place (the caller passes a fresh copy). */
export function applyOperators(doc: Doc, operators: Doc, settings: OperatorSettings): void {
  const changes = collectChanges(operators, settings.inserting);
  assertNoConflicts(changes);
  changes.sort((a, b) => comparePaths(a.parts, b.parts));
  const apply = new Applier(doc, settings);
  for (const change of changes) apply.change(change);
}

class Applier {
  private timestampIncrement = 1;

  constructor(
    private readonly doc: Doc,
    private readonly settings: OperatorSettings,
  ) {}

  private describeDoc(): string {
    return formatValue(this.doc._id === undefined ? this.doc : { _id: this.doc._id });
  }

  change(change: Change): void {
    switch (change.operator) {
      case '$noop':
        return;
      case '$set':
      case '$setOnInsert':
        this.write(change.parts, cloneValue(change.value));
        return;
      case '$unset':
        this.remove(change.parts);
        return;
      case '$inc':
      case '$mul':
        this.arithmetic(change);
        return;
      case '$min':
      case '$max':
        this.minMax(change);
        return;
      case '$rename':
        this.rename(change);
        return;
      case '$currentDate':
        this.write(change.parts, this.currentDate(change));
        return;
      case '$push':
        this.push(change);
        return;
      case '$addToSet':
        this.addToSet(change);
        return;
      case '$pop':
        this.pop(change);
        return;
      case '$pull':
      case '$pullAll':
        this.pull(change);
        return;
      case '$bit':
        this.bit(change);
        return;
      default:
        throw new CommandError('FailedToParse', `Unknown modifier: ${change.operator}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
  }

  /** The container holding the last path component; created on the way when `create` (objects, never arrays). */
  private parent(parts: string[], create: boolean): Container | undefined {
    let current: unknown = this.doc;
    for (let i = 0; i < parts.length - 1; i += 1) {
      const part = parts[i] as string;
      let next: unknown;
      if (Array.isArray(current)) {
        if (!isIndex(part)) return this.notViable(create, parts, i, current);
        next = current[Number(part)];
      } else if (isPlainObject(current)) {
        next = current[part];
      } else {
        return this.notViable(create, parts, i, current);
      }
      if (next === undefined) {
        if (!create) return undefined;
        next = {};
        setChild(current, part, next);
      }
      current = next;
    }
    if (Array.isArray(current)) {
      if (isIndex(parts[parts.length - 1] as string)) return current;
      return this.notViable(create, parts, parts.length - 1, current);
    }
    if (isPlainObject(current)) return current;
    return this.notViable(create, parts, parts.length - 1, current);
  }

  private notViable(create: boolean, parts: string[], at: number, element: unknown): undefined {
    if (!create) return undefined;
    const holder = at === 0 ? formatValue(this.doc) : `{${parts[at - 1] ?? ''}: ${formatValue(element)}}`;
    throw new CommandError('PathNotViable', `Cannot create field '${parts[at] ?? ''}' in element ${holder}`);
  }

  private read(parts: string[]): { container: Container | undefined; key: string; value: unknown } {
    const container = this.parent(parts, false);
    const key = parts[parts.length - 1] as string;
    return { container, key, value: container === undefined ? undefined : getChild(container, key) };
  }

  private write(parts: string[], value: unknown): void {
    const container = this.parent(parts, true) as Container;
    setChild(container, parts[parts.length - 1] as string, value);
  }

  private remove(parts: string[]): void {
    const container = this.parent(parts, false);
    const key = parts[parts.length - 1] as string;
    if (!container) return;
    if (Array.isArray(container)) {
      if (Number(key) < container.length) container[Number(key)] = null;
    } else {
      delete container[key];
    }
  }

  private arithmetic(change: Change): void {
    const verb = change.operator === '$inc' ? 'increment' : 'multiply';
    if (numericKind(change.value) === undefined) {
      throw new CommandError('TypeMismatch', `Cannot ${verb} with non-numeric argument: {${change.path}: ${formatValue(change.value)}}`);
    }
    const { value: current } = this.read(change.parts);
    if (current === undefined) {
      this.write(change.parts, change.operator === '$inc' ? cloneValue(change.value) : zeroLike(change.value));
      return;
    }
    if (numericKind(current) === undefined) {
      const field = change.parts[change.parts.length - 1] ?? change.path;
      throw new CommandError('TypeMismatch', `Cannot apply ${change.operator} to a value of non-numeric type. ${this.describeDoc()} has the field '${field}' of non-numeric type ${bsonTypeAlias(current)}`);
    }
    const result = combine(change.operator === '$inc' ? 'add' : 'multiply', current, change.value);
    if (result === undefined) {
      throw new CommandError('BadValue', `Failed to apply ${change.operator} operations to current value (${formatNumber(current)}) for document ${this.describeDoc()}`);
    }
    this.write(change.parts, result);
  }

  private minMax(change: Change): void {
    const { value: current } = this.read(change.parts);
    const order = current === undefined ? 0 : compareValues(change.value, current, this.settings.strings);
    if (current === undefined || (change.operator === '$min' ? order < 0 : order > 0)) this.write(change.parts, cloneValue(change.value));
  }

  private rename(change: Change): void {
    const source = this.read(change.parts);
    if (source.container === undefined || source.value === undefined) return;
    if (Array.isArray(source.container)) throw new CommandError('BadValue', `The source field cannot be an array element, '${change.path}' in doc with ${this.describeDoc()} has an array field`);
    const target = String(change.value).split('.');
    if (this.throughArray(target)) throw new CommandError('BadValue', `The destination field cannot be an array element, '${String(change.value)}' in doc with ${this.describeDoc()} has an array field`);
    delete source.container[source.key];
    this.write(target, source.value);
  }

  private throughArray(parts: string[]): boolean {
    let current: unknown = this.doc;
    for (const part of parts.slice(0, -1)) {
      if (Array.isArray(current)) return true;
      if (!isPlainObject(current)) return false;
      current = current[part];
    }
    return Array.isArray(current);
  }

  private currentDate(change: Change): unknown {
    const spec = change.value;
    const type = isPlainObject(spec) ? spec.$type : spec === true || spec === false ? 'date' : undefined;
    if (type === 'date') return new Date();
    if (type === 'timestamp') return new Timestamp({ t: Math.floor(Date.now() / 1000), i: this.timestampIncrement++ });
    throw new CommandError('BadValue', `The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}`);
  }

  private currentArray(change: Change): unknown[] | undefined {
    const { value } = this.read(change.parts);
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value;
    const field = change.parts[change.parts.length - 1] ?? change.path;
    if (change.operator === '$push') {
      throw new CommandError('BadValue', `The field '${field}' must be an array but is of type ${bsonTypeAlias(value)} in document ${this.describeDoc()}`);
    }
    if (change.operator === '$addToSet') {
      throw new CommandError('BadValue', `Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${bsonTypeAlias(value)}`);
    }
    if (change.operator === '$pop') throw new CommandError('TypeMismatch', `Path '${change.path}' contains an element of non-array type '${bsonTypeAlias(value)}'`);
    throw new CommandError('BadValue', 'Cannot apply $pull to a non-array value');
  }

  private push(change: Change): void {
    const spec = pushSpec(change.value);
    const array = [...(this.currentArray(change) ?? [])];
    const at = spec.position === undefined ? array.length : spec.position < 0 ? Math.max(0, array.length + spec.position) : Math.min(spec.position, array.length);
    array.splice(at, 0, ...spec.each.map((item) => cloneValue(item)));
    if (spec.sort !== undefined) sortArray(array, spec.sort, this.settings);
    const sliced = spec.slice === undefined ? array : spec.slice < 0 ? array.slice(Math.max(0, array.length + spec.slice)) : array.slice(0, spec.slice);
    this.write(change.parts, sliced);
  }

  private addToSet(change: Change): void {
    const value = change.value;
    const each = isPlainObject(value) && '$each' in value ? value.$each : [value];
    if (!Array.isArray(each)) throw new CommandError('TypeMismatch', `The argument to $each in $addToSet must be an array but it was of type ${bsonTypeAlias(each)}`);
    const array = [...(this.currentArray(change) ?? [])];
    for (const item of each) if (!array.some((existing) => valuesEqual(existing, item, this.settings.strings))) array.push(cloneValue(item));
    this.write(change.parts, array);
  }

  private pop(change: Change): void {
    const direction = exactNumber(change.value);
    if (direction !== 1n && direction !== -1n) throw new CommandError('FailedToParse', `$pop expects 1 or -1, found: ${formatValue(change.value)}`);
    const array = this.currentArray(change);
    if (!array || array.length === 0) return;
    this.write(change.parts, direction === 1n ? array.slice(0, -1) : array.slice(1));
  }

  private pull(change: Change): void {
    if (change.operator === '$pullAll' && !Array.isArray(change.value)) {
      throw new CommandError('BadValue', `$pullAll requires an array argument but was given a ${bsonTypeAlias(change.value)}`);
    }
    const array = this.currentArray(change);
    if (!array) return;
    const remove = change.operator === '$pullAll' ? (item: unknown) => (change.value as unknown[]).some((value) => valuesEqual(item, value, this.settings.strings)) : pullPredicate(change.value, this.settings);
    const kept = array.filter((item) => !remove(item));
    if (kept.length !== array.length) this.write(change.parts, kept);
  }

  private bit(change: Change): void {
    if (!isPlainObject(change.value) || Object.keys(change.value).length === 0) {
      throw new CommandError('BadValue', `The $bit modifier is not compatible with a ${bsonTypeAlias(change.value)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`);
    }
    const { value: current } = this.read(change.parts);
    let result: unknown = current ?? new Int32(0);
    if (!isIntegral(result)) throw new CommandError('BadValue', `Cannot apply $bit to a value of non-integral type.${this.describeDoc()} has the field ${change.path} of non-integer type ${bsonTypeAlias(result)}`);
    for (const [op, operand] of Object.entries(change.value)) {
      if (!isIntegral(operand)) throw new CommandError('BadValue', `The $bit modifier field must be an Integer(32/64 bit); a '${bsonTypeAlias(operand)}' is not supported here: {${op}: ${formatValue(operand)}}`);
      const x = exactNumber(result) as bigint;
      const y = exactNumber(operand) as bigint;
      const value = op === 'and' ? x & y : op === 'or' ? x | y : op === 'xor' ? x ^ y : undefined;
      if (value === undefined) throw new CommandError('BadValue', `The $bit modifier only supports 'and', 'or', and 'xor', not '${op}' which is an unknown operator: {${op}: ${formatValue(operand)}}`);
      const long = numericKind(result) === 'long' || numericKind(operand) === 'long';
      result = long ? Long.fromBigInt(BigInt.asIntN(64, value)) : new Int32(Number(BigInt.asIntN(32, value)));
    }
    this.write(change.parts, result);
  }
}

function getChild(container: Container, key: string): unknown {
  return Array.isArray(container) ? container[Number(key)] : container[key];
}

function setChild(container: Container, key: string, value: unknown): void {
  if (Array.isArray(container)) {
    const index = Number(key);
    while (container.length < index) container.push(null);
    container[index] = value;
  } else if (key === '__proto__') {
    Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    container[key] = value;
  }
}

function isIntegral(value: unknown): boolean {
  const kind = numericKind(value);
  return kind === 'int' || kind === 'long';
}

function zeroLike(value: unknown): unknown {
  const kind = numericKind(value);
  if (kind === 'long') return Long.ZERO;
  if (kind === 'double') return new Double(0);
  if (kind === 'decimal') throw notSupported('$mul on Decimal128');
  return new Int32(0);
}

function formatNumber(value: unknown): string {
  const kind = numericKind(value);
  const label = kind === 'long' ? 'NumberLong' : kind === 'int' ? 'NumberInt' : 'NumberDouble';
  return `(${label})${String(exactNumber(value))}`;
}

/**
 * mongod's arithmetic for $inc and $mul: int32 op int32 stays int32 unless it overflows (then int64);
 * with an int64 it is int64, and int64 overflow fails; with a double it is double. Undefined: overflow.
 */
export function combine(operation: 'add' | 'multiply', a: unknown, b: unknown): unknown {
  const kindA = numericKind(a);
  const kindB = numericKind(b);
  if (kindA === 'decimal' || kindB === 'decimal') throw notSupported('$inc and $mul on Decimal128');
  if (kindA === 'double' || kindB === 'double') {
    return new Double(operation === 'add' ? toDouble(a) + toDouble(b) : toDouble(a) * toDouble(b));
  }
  const x = exactNumber(a) as bigint;
  const y = exactNumber(b) as bigint;
  const result = operation === 'add' ? x + y : x * y;
  if (kindA === 'int' && kindB === 'int' && result >= INT32_MIN && result <= INT32_MAX) return new Int32(Number(result));
  if (result >= INT64_MIN && result <= INT64_MAX) return Long.fromBigInt(result);
  return undefined;
}

interface PushSpec {
  each: unknown[];
  position?: number;
  slice?: number;
  sort?: unknown;
}

function pushSpec(value: unknown): PushSpec {
  if (!isPlainObject(value) || !('$each' in value)) return { each: [value] };
  const spec: PushSpec = { each: [] };
  for (const [key, item] of Object.entries(value)) {
    if (key === '$each') {
      if (!Array.isArray(item)) throw new CommandError('BadValue', `The argument to $each in $push must be an array but it was of type: ${bsonTypeAlias(item)}`);
      spec.each = item;
    } else if (key === '$position' || key === '$slice') {
      if (!isIntegral(item) && !(numericKind(item) === 'double' && Number.isInteger(toDouble(item)))) {
        throw new CommandError('BadValue', `The value for ${key} must be an integer value but was given type: ${bsonTypeAlias(item)}`);
      }
      spec[key === '$position' ? 'position' : 'slice'] = toDouble(item);
    } else if (key === '$sort') {
      spec.sort = item;
    } else {
      throw new CommandError('BadValue', `Unrecognized clause in $push: ${key}`);
    }
  }
  return spec;
}

function sortArray(array: unknown[], sort: unknown, settings: QuerySettings): void {
  if (isPlainObject(sort)) {
    const keys = Object.entries(sort).map(([path, direction]) => {
      const order = exactNumber(direction);
      if (order !== 1n && order !== -1n) throw new CommandError('BadValue', 'The $sort element value must be either 1 or -1');
      return [path.split('.'), order === 1n ? 1 : -1] as const;
    });
    const at = (item: unknown, parts: string[]): unknown => parts.reduce<unknown>((value, part) => (isPlainObject(value) ? value[part] : undefined), item);
    array.sort((a, b) => {
      for (const [parts, direction] of keys) {
        const order = compareValues(at(a, parts), at(b, parts), settings.strings);
        if (order) return order * direction;
      }
      return 0;
    });
    return;
  }
  const order = exactNumber(sort);
  if (order !== 1n && order !== -1n) throw new CommandError('BadValue', 'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields');
  array.sort((a, b) => compareValues(a, b, settings.strings) * (order === 1n ? 1 : -1));
}

/** $pull's condition: a query on document elements, an operator expression on any element, or equality. */
function pullPredicate(condition: unknown, settings: QuerySettings): (item: unknown) => boolean {
  if (!isPlainObject(condition)) return (item) => valuesEqual(item, condition, settings.strings);
  const operatorForm = Object.keys(condition).some((key) => key.startsWith('$'));
  if (operatorForm) {
    const query = compileFilter({ element: condition }, settings);
    return (item) => query.test({ element: queryForm(item) });
  }
  const query = compileFilter(condition, settings);
  return (item) => isPlainObject(item) && query.test(queryForm(item));
}
