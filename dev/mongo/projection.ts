import { isPlainObject, type Doc } from './documents';
import { CommandError } from './errors';
import { numericKind, toDouble } from './values';

/**
 * find projections made only of inclusions and exclusions (`{ a: 1, 'b.c': 1 }`, `{ x: 0 }`), applied to
 * the stored document itself: fields keep their order and their BSON types. Projections with operators
 * ($slice, $elemMatch, positional `$`, expressions) go through mingo instead (matching.ts).
 */
type Tree = Map<string, Tree | boolean>;

function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (numericKind(value) !== undefined) return toDouble(value) !== 0;
  return undefined;
}

/** True when every value is a flag (nested documents of flags included). */
export function isPlainProjection(projection: Doc): boolean {
  return Object.entries(projection).every(([key, value]) => {
    if (key.startsWith('$') || key.split('.').includes('$')) return false;
    if (isPlainObject(value)) return Object.keys(value).length > 0 && isPlainProjection(value);
    return flag(value) !== undefined;
  });
}

function buildTree(projection: Doc, prefix: string[] = [], into: Tree = new Map()): Tree {
  for (const [key, value] of Object.entries(projection)) {
    const parts = [...prefix, ...key.split('.')];
    if (isPlainObject(value)) {
      buildTree(value, parts, into);
      continue;
    }
    let node = into;
    for (const part of parts.slice(0, -1)) {
      const next = node.get(part);
      if (typeof next === 'boolean') throw new CommandError('Location31250', `Path collision at ${parts.join('.')}`);
      const child: Tree = next ?? new Map();
      node.set(part, child);
      node = child;
    }
    const leaf = parts[parts.length - 1] as string;
    if (node.has(leaf)) throw new CommandError('Location31250', `Path collision at ${parts.join('.')}`);
    node.set(leaf, flag(value) as boolean);
  }
  return into;
}

function leaves(tree: Tree, top: boolean): boolean[] {
  return [...tree].flatMap(([key, value]) => (typeof value === 'boolean' ? (top && key === '_id' ? [] : [value]) : leaves(value, false)));
}

function include(value: unknown, tree: Tree): unknown {
  if (Array.isArray(value)) return value.filter((item) => isPlainObject(item) || Array.isArray(item)).map((item) => include(item, tree));
  if (!isPlainObject(value)) return undefined;
  const out: Doc = {};
  for (const [key, item] of Object.entries(value)) {
    const rule = tree.get(key);
    if (rule === true) out[key] = item;
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
    out[key] = rule instanceof Map ? exclude(item, rule) : item;
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
