import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EJSON } from 'bson';
import { isDoc, type SpecFile, type UnifiedFile } from './format';

/**
 * MongoDB's CRUD spec tests are test data kept outside the repository (their licence is not the
 * project's): `<repo>/../shared/mongo-crud-spec`, or wherever MONGO_CRUD_SPEC_DIR points.
 */
export function specDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.MONGO_CRUD_SPEC_DIR ? resolve(env.MONGO_CRUD_SPEC_DIR) : resolve(__dirname, '../../../shared/mongo-crud-spec');
}

/** The unified-format files of a folder, or undefined when the folder does not exist. */
export function loadSpecFiles(directory: string): SpecFile[] | undefined {
  if (!existsSync(directory)) return undefined;
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, content: parseSpecFile(readFileSync(join(directory, name), 'utf8'), name) }));
}

/**
 * Relaxed Extended JSON, as the Node driver's own runner reads these files: plain numbers stay JS numbers
 * (the files carry no $numberLong/$numberDouble wrappers, and JSON cannot tell 1 from 1.0 anyway).
 */
function parseSpecFile(text: string, name: string): UnifiedFile {
  const parsed: unknown = EJSON.parse(text, { relaxed: true });
  if (!isDoc(parsed) || !Array.isArray(parsed.tests) || typeof parsed.schemaVersion !== 'string') {
    throw new Error(`${name} is not a unified test file`);
  }
  return parsed as unknown as UnifiedFile;
}

/** Major 1, any minor: the runner implements what the CRUD files use and fails loudly on anything else. */
export function isSupportedSchemaVersion(version: string): boolean {
  return /^1(\.\d+){0,2}$/.test(version);
}

/**
 * Against a real server the runner must not touch other people's databases: every database a file names
 * (except `admin`) is renamed with a prefix of this run, everywhere in the file (entity definitions,
 * initial data, outcomes, expected events and namespaces such as `crud-tests.coll0`).
 */
export function renameDatabases(file: UnifiedFile, prefix: string): { file: UnifiedFile; databases: string[] } {
  const names = new Set<string>();
  collectDatabaseNames(file, names);
  names.delete('admin');
  const mapping = new Map([...names].map((name) => [name, `${prefix}${name}`]));
  const rename = (value: unknown): unknown => {
    if (typeof value === 'string') return renameString(value, mapping);
    if (Array.isArray(value)) return value.map(rename);
    if (isDoc(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rename(item)]));
    return value;
  };
  return { file: rename(file) as UnifiedFile, databases: [...mapping.values()] };
}

function renameString(value: string, mapping: Map<string, string>): string {
  const exact = mapping.get(value);
  if (exact) return exact;
  const dot = value.indexOf('.');
  const renamed = dot > 0 ? mapping.get(value.slice(0, dot)) : undefined;
  return renamed ? `${renamed}${value.slice(dot)}` : value;
}

function collectDatabaseNames(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectDatabaseNames(item, into);
    return;
  }
  if (!isDoc(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'databaseName' && typeof item === 'string') into.add(item);
    else collectDatabaseNames(item, into);
  }
}
