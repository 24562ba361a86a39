import { isPlainObject, type Doc } from './documents';
import { CommandError } from './errors';
import { numericKind, toDouble } from './values';

/**
 * find projections made of inclusions, exclusions and `$slice` (`{ a: 1, 'b.c': 1 }`, `{ x: 0 }`,
 * `{ tags: { $slice: -5 } }`), applied to the stored document itself: fields keep their order and their
 * BSON types. Other operators ($elemMatch, expressions) go through mingo (matching.ts), and the positional
 * `$` is resolved there too.
 */
interface Slice {
  skip: number;
  limit: number | undefined;
}

type Tree = Map<string, Tree | boolean | Slice>;

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (numericKind(value) !== undefined) return toDouble(value) !== 0;
  return undefined;
}

function slice(value: unknown): Slice | undefined {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !('$slice' in value)) return undefined;
  const spec = value.$slice;
  if (numericKind(spec) !== undefined) {
    const count = Math.trunc(toDouble(spec));
    return count >= 0 ? { skip: 0, limit: count } : { skip: count, limit: undefined };
  }
  if (Array.isArray(spec) && spec.length === 2 && spec.every((item) => numericKind(item) !== undefined)) {
    const limit = Math.trunc(toDouble(spec[1]));
    if (limit <= 0) throw new CommandError('Location28724', 'Second argument to $slice must be a positive number');
    return { skip: Math.trunc(toDouble(spec[0])), limit };
  }
  throw new CommandError('Location28667', `Invalid $slice syntax. The given syntax { $slice: ${JSON.stringify(spec)} } did not match the find() syntax because :: Location31273: $slice only supports numbers and [skip, limit] arrays`);
}

function applySlice(value: unknown, rule: Slice): unknown {
  if (!Array.isArray(value)) return value;
  const start = rule.skip < 0 ? Math.max(0, value.length + rule.skip) : Math.min(rule.skip, value.length);
  return rule.limit === undefined ? value.slice(start) : value.slice(start, start + rule.limit);
}

/** True when every value is a flag or a `$slice` (nested documents of those included). */
export function isPlainProjection(projection: Doc): boolean {
  return Object.entries(projection).every(([key, value]) => {
    if (key.startsWith('$') || key.split('.').includes('$')) return false;
    if (slice(value)) return true;
    if (isPlainObject(value)) return Object.keys(value).length > 0 && isPlainProjection(value);
    return flag(value) !== undefined;
  });
}

function buildTree(projection: Doc, prefix: string[] = [], into: Tree = new Map()): Tree {
  for (const [key, value] of Object.entries(projection)) {
    const parts = [...prefix, ...key.split('.')];
    const sliced = slice(value);
    if (isPlainObject(value) && !sliced) {
      buildTree(value, parts, into);
      continue;
    }
    let node = into;
    for (const part of parts.slice(0, -1)) {
      const next = node.get(part);
      if (next !== undefined && !(next instanceof Map)) throw new CommandError('Location31250', `Path collision at ${parts.join('.')}`);
      const child: Tree = next ?? new Map();
      node.set(part, child);
      node = child;
    }
    const leaf = parts[parts.length - 1] as string;
    if (node.has(leaf)) throw new CommandError('Location31250', `Path collision at ${parts.join('.')}`);
    node.set(leaf, sliced ?? (flag(value) as boolean));
  }
  return into;
}

/** The inclusion/exclusion flags (`$slice` is neither; `_id` may differ from the rest). */
function leaves(tree: Tree, top: boolean): boolean[] {
  return [...tree].flatMap(([key, value]) => {
    if (value instanceof Map) return leaves(value, false);
    if (typeof value !== 'boolean' || (top && key === '_id')) return [];
    return [value];
  });
}

function include(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.filter((item) => isPlainObject(item) || Array.isArray(item)).map((item) => include(item, tree));
  if (!isPlainObject(value)) return undefined;
  const out: Doc = {};
  for (const [key, item] of Object.entries(value)) {
    const rule = tree.get(key);
    if (rule === true) out[key] = item;
    else if (rule !== undefined && typeof rule === 'object' && !(rule instanceof Map)) out[key] = applySlice(item, rule);
    else if (rule instanceof Map) {
      const nested = include(item, rule);
      if (nested !== undefined) out[key] = nested;
    }
  }
  return out;
}

function exclude(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.map((item) => exclude(item, tree));
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [key, item] of Object.entries(value)) {
    const rule = tree.get(key);
    if (rule === false) continue;
    if (rule instanceof Map) out[key] = exclude(item, rule);
    else if (rule !== undefined && typeof rule === 'object') out[key] = applySlice(item, rule);
    else out[key] = item;
  }
  return out;
}

export function applyPlainProjection(doc: Doc, projection: Doc): Doc {
  const tree = buildTree(projection);
  const flags = leaves(tree, true);
  const inclusion = flags.length > 0 ? flags[0] === true : tree.get('_id') === true;
  if (flags.some((value) => value !== inclusion)) {
    throw new CommandError('Location31254', `Cannot do ${inclusion ? 'exclusion' : 'inclusion'} on a field in ${inclusion ? 'inclusion' : 'exclusion'} projection`);
  }
  if (!inclusion) return exclude(doc, tree) as Doc;
  // _id comes along unless excluded.
  const idRule = tree.get('_id');
  if (idRule === undefined) tree.set('_id', true);
  const projected = include(doc, tree) as Doc;
  if (idRule === false) delete projected._id;
  return projected;
}
