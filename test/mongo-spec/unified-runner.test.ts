import { Long } from 'bson';
import type { UnifiedFile, UnifiedTest } from './format';
import { assertMatches, MatchError } from './match';
import { skipReason, type ServerFacts } from './requirements';
import { loadSpecFiles, renameDatabases, specDirectory } from './spec-files';

/** The runner's own rules: a lenient matcher or a wrong skip would overstate how well the stand-in does. */
const entity = (name: string): unknown => ({ saved: { id: 7 } })[name];
const matches = (expected: unknown, actual: unknown, root = true): boolean => {
  try {
    assertMatches(expected, actual, { root, entity });
    return true;
  } catch (error) {
    if (error instanceof MatchError) return false;
    throw error;
  }
};

describe('unified format matching', () => {
  it('allows extra keys in root documents only', () => {
    expect(matches({ x: 1 }, { x: 1, y: 2 })).toBe(true);
    expect(matches({ x: 1, y: 1 }, { x: 1 })).toBe(false);
    expect(matches({ x: { y: 1 } }, { x: { y: 1, z: 1 } })).toBe(false);
    expect(matches([{ x: 1 }], [{ x: 1, y: 1 }])).toBe(false);
  });

  it('requires arrays of the same length and numbers equal by value across types', () => {
    expect(matches([1, 2, 3], [1, 2, 3, 4])).toBe(false);
    expect(matches({ n: 1 }, { n: 1.0 })).toBe(true);
    expect(matches({ n: 1 }, { n: 1.5 })).toBe(false);
    expect(matches({ n: Long.fromString('9007199254740993') }, { n: Long.fromString('9007199254740992') })).toBe(false);
    expect(matches({ s: '1' }, { s: 1 })).toBe(false);
  });

  it('evaluates the special operators', () => {
    expect(matches({ a: { $$exists: false } }, { b: 1 })).toBe(true);
    expect(matches({ a: { $$exists: false } }, { a: null })).toBe(false);
    expect(matches({ a: { $$unsetOrMatches: 2 } }, {})).toBe(true);
    expect(matches({ a: { $$unsetOrMatches: 2 } }, { a: 3 })).toBe(false);
    expect(matches({ a: { $$type: ['int', 'long'] } }, { a: 4 })).toBe(true);
    expect(matches({ a: { $$type: 'string' } }, { a: 4 })).toBe(false);
    expect(matches({ a: { $$matchesEntity: 'saved' } }, { a: { id: 7 } })).toBe(true);
    expect(matches({ a: { $$lte: 5 } }, { a: 6 })).toBe(false);
  });
});

describe('skip rules for a MongoDB 7.0 standalone', () => {
  const server: ServerFacts = { version: [7, 0, 0], topology: 'single', serverless: false, auth: false };
  const file = (extra: Partial<UnifiedFile> = {}): UnifiedFile => ({ description: 'f', schemaVersion: '1.0', tests: [], ...extra });
  const test = (extra: Partial<UnifiedTest> = {}): UnifiedTest => ({ description: 't', operations: [{ name: 'find', object: 'collection0' }], ...extra });

  it('applies version, topology and serverless requirements at file and test level', () => {
    expect(skipReason(file(), test(), server)).toBeUndefined();
    expect(skipReason(file({ runOnRequirements: [{ minServerVersion: '8.0' }] }), test(), server)).toBe('runOnRequirements: minServerVersion above the server');
    expect(skipReason(file(), test({ runOnRequirements: [{ maxServerVersion: '4.4.99' }] }), server)).toBe('runOnRequirements: maxServerVersion below the server');
    expect(skipReason(file(), test({ runOnRequirements: [{ topologies: ['replicaset'] }, { minServerVersion: '7.0' }] }), server)).toBeUndefined();
    expect(skipReason(file(), test({ runOnRequirements: [{ topologies: ['replicaset', 'sharded'] }] }), server)).toBe('runOnRequirements: topology');
    expect(skipReason(file({ runOnRequirements: [{ serverless: 'forbid' }] }), test(), server)).toBeUndefined();
  });

  it('skips sessions, fail points and the Node driver gaps, nothing else', () => {
    expect(skipReason(file({ createEntities: [{ session: { id: 's', client: 'c' } }] }), test(), server)).toBe('needs sessions or transactions');
    expect(skipReason(file(), test({ operations: [{ name: 'failPoint', object: 'testRunner' }] }), server)).toBe('needs fail points');
    expect(skipReason(file(), test({ description: 'inserting _id with type null via insertOne' }), server)).toBe('skipped by the Node driver (driver gap)');
  });
});

describe('spec files', () => {
  it('says the folder is absent rather than failing', () => {
    expect(loadSpecFiles('/nonexistent/mongo-crud-spec')).toBeUndefined();
    expect(specDirectory({ MONGO_CRUD_SPEC_DIR: '/elsewhere/specs' })).toBe('/elsewhere/specs');
    expect(specDirectory({})).toMatch(/shared[/\\]mongo-crud-spec$/);
  });

  it('renames every database a file uses when running against a shared server', () => {
    const renamed = renameDatabases(
      file({
        createEntities: [{ database: { id: 'd', client: 'c', databaseName: 'crud-tests' } }],
        tests: [{ description: 't', operations: [], outcome: [{ databaseName: 'crud-tests', collectionName: 'coll0', documents: [{ ns: 'crud-tests.coll0', x: 'admin' }] }] }],
      }),
      'run1_',
    );
    expect(renamed.databases).toEqual(['run1_crud-tests']);
    expect(JSON.stringify(renamed.file)).not.toMatch(/"crud-tests/);
    expect(renamed.file.tests[0]?.outcome?.[0]?.documents[0]).toEqual({ ns: 'run1_crud-tests.coll0', x: 'admin' });
  });

  function file(extra: Partial<UnifiedFile>): UnifiedFile {
    return { description: 'f', schemaVersion: '1.0', tests: [], ...extra };
  }
});
