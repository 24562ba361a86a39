import type { Query } from 'mingo/query';
import { isPlainObject, setPath, type Doc } from './documents';
import { CommandError } from './errors';
import { compileFilter, type QuerySettings } from './matching';
import { queryForm } from './values';

/**
 * Resolves `$`, `$[]` and `$[id]` in update paths to concrete array indexes before mingo applies the update.
 * mingo treats `a.$.x` and `a.$.y` (or `a.$[e].x` and `a.$[e].y`) as conflicting paths, which mongod
 * allows; with numeric paths (`a.3.x`, `a.3.y`) there is no conflict. Resolving against the document
 * before any change also matches mongod, which picks the matched elements once, up front.
 */
export interface PositionalSettings extends QuerySettings {
  filter: Doc;
  arrayFilters?: Doc[];
}

const IDENTIFIER = /^\$\[([a-z][a-zA-Z0-9]*)\]$/;

export function hasPositionalPaths(operators: Doc): boolean {
  return Object.values(operators).some((fields) => isPlainObject(fields) && Object.keys(fields).some((path) => path.split('.').some(isPositionalPart)));
}

function isPositionalPart(part: string): boolean {
  return part === '$' || part === '$[]' || IDENTIFIER.test(part) || part.startsWith('$[');
}

/** Returns the operators with every positional path replaced by the concrete paths it designates. */
export function resolvePositionalPaths(doc: Doc, operators: Doc, settings: PositionalSettings): Doc {
  const resolver = new PathResolver(doc, settings);
  const resolved: Doc = {};
  for (const [operator, fields] of Object.entries(operators)) {
    if (!isPlainObject(fields)) {
      resolved[operator] = fields;
      continue;
    }
    const concrete: Doc = {};
    for (const [path, value] of Object.entries(fields)) for (const target of resolver.expand(path)) concrete[target] = value;
    resolved[operator] = concrete;
  }
  return resolved;
}

class PathResolver {
  private readonly filters = new Map<string, Query>();

  constructor(
    private readonly doc: Doc,
    private readonly settings: PositionalSettings,
  ) {
    for (const filter of settings.arrayFilters ?? []) {
      const id = Object.keys(filter)[0]?.split('.')[0];
      if (!id) throw new CommandError('FailedToParse', 'Cannot use an expression without a top-level field name in arrayFilters');
      if (this.filters.has(id)) throw new CommandError('FailedToParse', `Found multiple array filters with the same top-level field name ${id}`);
      this.filters.set(id, this.compile(filter));
    }
  }

  private compile(filter: Doc): Query {
    return compileFilter(filter, this.settings);
  }

  expand(path: string): string[] {
    if (!path.split('.').some(isPositionalPart)) return [path];
    return this.walk(this.doc, path.split('.'), 0, [], path);
  }

  private walk(value: unknown, parts: string[], at: number, prefix: string[], path: string): string[] {
    const part = parts[at];
    if (part === undefined) return [prefix.join('.')];
    if (!isPositionalPart(part)) {
      const child = Array.isArray(value) && /^\d+$/.test(part) ? (value as unknown[])[Number(part)] : isPlainObject(value) ? value[part] : undefined;
      return this.walk(child, parts, at + 1, [...prefix, part], path);
    }
    if (!Array.isArray(value)) {
      throw new CommandError('BadValue', `The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`);
    }
    return this.matchingIndexes(value as unknown[], part, prefix, path).flatMap((index) =>
      this.walk((value as unknown[])[index], parts, at + 1, [...prefix, String(index)], path),
    );
  }

  private matchingIndexes(array: unknown[], part: string, prefix: string[], path: string): number[] {
    const all = array.map((_, index) => index);
    if (part === '$[]') return all;
    if (part === '$') return [this.positionalIndex(array, prefix.join('.'))];
    const id = IDENTIFIER.exec(part)?.[1];
    const filter = id === undefined ? undefined : this.filters.get(id);
    if (!filter) throw new CommandError('BadValue', `No array filter found for identifier '${id ?? part}' in path '${path}'`);
    return all.filter((index) => filter.test({ [id as string]: queryForm(array[index]) }));
  }

  /** `$`: the first element that satisfies the filter's conditions on this array field. */
  private positionalIndex(array: unknown[], arrayPath: string): number {
    const conditions = Object.entries(this.settings.filter).filter(([key]) => key === arrayPath || key.startsWith(`${arrayPath}.`));
    if (conditions.length > 0) {
      const query = this.compile(Object.fromEntries(conditions));
      const index = array.findIndex((element) => {
        const probe: Doc = {};
        setPath(probe, arrayPath, [queryForm(element)]);
        return query.test(probe);
      });
      if (index >= 0) return index;
    }
    throw new CommandError('BadValue', 'The positional operator did not find the match needed from the query.');
  }
}
