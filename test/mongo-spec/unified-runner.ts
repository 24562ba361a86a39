import { MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import { EntityMap } from './entities';
import { assertEvents } from './events';
import { assertExpectedError, describeError } from './expect-error';
import type { CollectionData, Operation, SpecFile, UnifiedFile, UnifiedTest } from './format';
import { assertMatches, describe, MatchError } from './match';
import { runEntityOperation, UnsupportedOperationError } from './operations';
import { parseVersion, skipReason, type ServerFacts, type SkipReason } from './requirements';
import { runSpecialOperation } from './special-operations';
import { isSupportedSchemaVersion, renameDatabases } from './spec-files';

/**
 * An interpreter for MongoDB's unified test format, enough of it for the CRUD spec tests, driving the
 * official Node driver against a server (the embedded stand-in, or a real MongoDB).
 */
export type TestResult =
  | { file: string; description: string; status: 'passed'; refusal: RefusalUse }
  | { file: string; description: string; status: 'skipped'; reason: SkipReason }
  | { file: string; description: string; status: 'failed'; reason: string; refusal: boolean };

export interface RunOptions {
  uri: string;
  /** Set against a real server: every database the files name gets this prefix, and is dropped at the end. */
  databasePrefix?: string;
}

/**
 * Whether a passing test met a "not supported" refusal: never; as an expected error that only asks the
 * server to fail (a refusal is one, honestly); or as an expected error naming a code, message or response
 * (matched by accident: reported as suspect).
 */
export type RefusalUse = 'none' | 'expected-failure' | 'suspect';

const WORSE: Record<RefusalUse, number> = { none: 0, 'expected-failure': 1, suspect: 2 };

/** How the stand-in refuses what it does not implement (code 2 BadValue or 115 CommandNotSupported). */
const REFUSAL_MESSAGE = /not supported by the embedded MongoDB/i;

/** True when the error is the server declining an unimplemented feature (not a wrong answer). */
export function isRefusal(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.some((writeError) => isRefusalCode(writeError.code) && REFUSAL_MESSAGE.test(writeError.errmsg ?? ''))) return true;
  }
  return error instanceof MongoServerError && isRefusalCode(error.code) && REFUSAL_MESSAGE.test(error.message);
}

function isRefusalCode(code: unknown): boolean {
  return code === 2 || code === 115;
}

/**
 * An expected error that names a code, message, response or partial result: a "not supported" refusal
 * can only satisfy it by accident. (One that only asks for a server error is satisfied by a refusal
 * honestly: the server does refuse.)
 */
function assertsSpecifics(operation: Operation): boolean {
  const expected = operation.expectError ?? {};
  return ['errorCode', 'errorCodeName', 'errorContains', 'errorResponse', 'expectResult', 'writeErrors'].some((key) => key in expected);
}

/** A failed step of a test, keeping the server error (if any) that caused it. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly serverError?: unknown,
  ) {
    super(message);
  }
}

/** Credentials in the connection string mean the server runs with auth (the stand-in never does). */
function usesAuth(uri: string): boolean {
  const authority = /^mongodb(?:\+srv)?:\/\/([^/?]*)/.exec(uri)?.[1] ?? '';
  return authority.includes('@');
}

async function serverFacts(internal: MongoClient, uri: string): Promise<ServerFacts> {
  const admin = internal.db('admin');
  const build = await admin.command({ buildInfo: 1 });
  const hello = await admin.command({ hello: 1 });
  const versionArray = Array.isArray(build.versionArray) ? (build.versionArray as number[]).map(Number) : undefined;
  const version = versionArray ? ([versionArray[0] ?? 0, versionArray[1] ?? 0, versionArray[2] ?? 0] as [number, number, number]) : parseVersion(String(build.version));
  const topology = hello.msg === 'isdbgrid' ? 'sharded' : hello.serviceId ? 'load-balanced' : hello.setName ? 'replicaset' : 'single';
  return { version, topology, serverless: false, auth: usesAuth(uri) };
}

class UnifiedRunner {
  constructor(
    private readonly internal: MongoClient,
    private readonly uri: string,
  ) {}

  /** initialData: drop, create when asked (or when empty), insert — with w: majority, as the format says. */
  private async loadInitialData(data: CollectionData[]): Promise<void> {
    for (const { databaseName, collectionName } of data) {
      const db = this.internal.db(databaseName);
      for (const name of [collectionName, `enxcol_.${collectionName}.esc`, `enxcol_.${collectionName}.ecoc`]) {
        // Servers before 7.0 answer NamespaceNotFound (26) for a missing collection.
        await db.dropCollection(name, { writeConcern: { w: 'majority' } }).catch((error: unknown) => {
          if (!(error instanceof MongoServerError && error.code === 26)) throw error;
        });
      }
    }
    for (const { databaseName, collectionName, createOptions, documents } of data) {
      const db = this.internal.db(databaseName);
      if (createOptions || documents.length === 0) await db.createCollection(collectionName, { ...createOptions, writeConcern: { w: 'majority' } });
      if (documents.length) await db.collection(collectionName).insertMany(documents.map((doc) => ({ ...doc })), { writeConcern: { w: 'majority' } });
    }
  }

  private async checkOutcome(outcome: CollectionData[]): Promise<void> {
    for (const { databaseName, collectionName, documents } of outcome) {
      const actual = await this.internal
        .db(databaseName)
        .collection(collectionName)
        .find({}, { sort: { _id: 1 }, readConcern: { level: 'local' }, readPreference: 'primary' })
        .toArray();
      // Outcome documents must match exactly (no extra fields anywhere), key order aside.
      assertMatches(documents, actual, { root: false, entity: () => undefined, path: `outcome ${databaseName}.${collectionName}` });
    }
  }

  private async runOperation(operation: Operation, entities: EntityMap): Promise<RefusalUse> {
    if (operation.object === 'testRunner') {
      await runSpecialOperation(operation, entities, this.internal);
      return 'none';
    }
    const entity = (name: string) => entities.value(name);
    let outcome;
    try {
      outcome = await runEntityOperation(entities, operation);
    } catch (error) {
      if (error instanceof UnsupportedOperationError || error instanceof MatchError) throw error;
      if (operation.ignoreResultAndError) return 'none';
      if (!operation.expectError) throw new StepFailure(`${operation.name} failed: ${describeError(error)}`, error);
      try {
        assertExpectedError(error, operation.expectError, entity);
      } catch (mismatch) {
        throw new StepFailure(`${operation.name}: ${(mismatch as Error).message}`, error);
      }
      if (!isRefusal(error)) return 'none';
      return assertsSpecifics(operation) ? 'suspect' : 'expected-failure';
    }
    if (operation.ignoreResultAndError) return 'none';
    if (operation.expectError) throw new StepFailure(`${operation.name} succeeded (${describe(outcome.value)}) but should have failed`);
    if (operation.expectResult !== undefined) {
      const path = `${operation.name} result`;
      if (outcome.documents && Array.isArray(operation.expectResult) && Array.isArray(outcome.value)) {
        const actual = outcome.value as unknown[];
        if (actual.length !== operation.expectResult.length) {
          throw new MatchError(`${path}: expected ${operation.expectResult.length} documents, got ${actual.length}: ${describe(actual)}`);
        }
        operation.expectResult.forEach((expected, index) => assertMatches(expected, actual[index], { root: true, entity, path: `${path}[${index}]` }));
      } else {
        assertMatches(operation.expectResult, outcome.value, { root: true, entity, path });
      }
    }
    if (operation.saveResultAsEntity) entities.save(operation.saveResultAsEntity, outcome.value);
    return 'none';
  }

  async runTest(file: UnifiedFile, test: UnifiedTest): Promise<RefusalUse> {
    if (file.initialData) await this.loadInitialData(file.initialData);
    const entities = new EntityMap(this.uri);
    let refusal: RefusalUse = 'none';
    try {
      await entities.create(file.createEntities ?? []);
      for (const operation of test.operations) {
        const used = await this.runOperation(operation, entities);
        if (WORSE[used] > WORSE[refusal]) refusal = used;
      }
      const clients = entities.clients();
      for (const [, client] of clients) client.stopCapturing();
      for (const expected of test.expectEvents ?? []) {
        assertEvents(expected, entities.client(expected.client).events, (name) => entities.value(name));
      }
      if (test.outcome) await this.checkOutcome(test.outcome);
    } finally {
      await entities.close();
    }
    return refusal;
  }
}

/** Runs every test of the files (sequentially: tests share collections) and reports each one. */
export async function runSpecFiles(files: SpecFile[], options: RunOptions): Promise<{ results: TestResult[]; server: ServerFacts }> {
  const internal = new MongoClient(options.uri, { serverSelectionTimeoutMS: 5_000 });
  await internal.connect();
  const renamed = new Set<string>();
  try {
    const server = await serverFacts(internal, options.uri);
    const runner = new UnifiedRunner(internal, options.uri);
    const results: TestResult[] = [];
    for (const spec of files) {
      let content = spec.content;
      if (options.databasePrefix) {
        const renaming = renameDatabases(content, options.databasePrefix);
        content = renaming.file;
        for (const name of renaming.databases) renamed.add(name);
      }
      results.push(...(await runFile(runner, spec.name, content, server)));
    }
    return { results, server };
  } finally {
    for (const name of renamed) await internal.db(name).dropDatabase();
    await internal.close();
  }
}

async function runFile(runner: UnifiedRunner, name: string, file: UnifiedFile, server: ServerFacts): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of file.tests) {
    const base = { file: name, description: test.description };
    const reason = skipReason(file, test, server);
    if (reason) {
      results.push({ ...base, status: 'skipped', reason });
      continue;
    }
    if (!isSupportedSchemaVersion(file.schemaVersion)) {
      results.push({ ...base, status: 'failed', reason: `unsupported schemaVersion ${file.schemaVersion}`, refusal: false });
      continue;
    }
    try {
      results.push({ ...base, status: 'passed', refusal: await runner.runTest(file, test) });
    } catch (error) {
      const serverError = error instanceof StepFailure ? error.serverError : error;
      results.push({ ...base, status: 'failed', reason: describeFailure(error), refusal: isRefusal(serverError) });
    }
  }
  return results;
}

function describeFailure(error: unknown): string {
  if (error instanceof StepFailure || error instanceof MatchError) return error.message;
  if (error instanceof UnsupportedOperationError) return `runner: ${error.message}`;
  return describeError(error);
}
