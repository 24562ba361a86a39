import type { Doc, RunOnRequirement, UnifiedFile, UnifiedTest } from './format';

/** What the runner learned about the server it runs against (from buildInfo and hello). */
export interface ServerFacts {
  /** `[major, minor, patch]` from buildInfo's versionArray. */
  version: [number, number, number];
  topology: 'single' | 'replicaset' | 'sharded' | 'load-balanced';
  /** Never Atlas Serverless here. */
  serverless: boolean;
  /** The connection string carries credentials (the stand-in has no auth). */
  auth: boolean;
}

/**
 * Why a test is not run. Only these: requirements the server does not meet, features the stand-in
 * refuses by design (sessions, transactions, fail points), and tests the Node driver's own suite skips.
 */
export type SkipReason =
  | 'runOnRequirements: minServerVersion above the server'
  | 'runOnRequirements: maxServerVersion below the server'
  | 'runOnRequirements: topology'
  | 'runOnRequirements: serverless'
  | 'runOnRequirements: auth'
  | 'runOnRequirements: csfle'
  | 'runOnRequirements: serverParameters'
  | 'needs sessions or transactions'
  | 'needs fail points'
  | 'skipped by the Node driver (driver gap)'
  | 'skipReason in the test file';

/**
 * Tests the Node driver's own CRUD spec suite skips as driver gaps, with its ticket. Source:
 * mongodb/node-mongodb-native, test/integration/crud/crud.spec.test.ts (`unimplementedCrudTests`), read
 * at commit bb35ded18aa1031d8e4be88cad4fc1cc1225b00e. Its load-balanced-only collation skips do not apply
 * to a standalone.
 */
export const NODE_DRIVER_SKIPS: ReadonlyMap<string, string> = new Map([
  ['inserting _id with type null via clientBulkWrite', 'NODE-6468: inserts and upserts must respect null _id values'],
  ['inserting _id with type null via insertOne', 'NODE-6468: inserts and upserts must respect null _id values'],
  ['inserting _id with type null via insertMany', 'NODE-6468: inserts and upserts must respect null _id values'],
  ['inserting _id with type null via bulkWrite', 'NODE-6468: inserts and upserts must respect null _id values'],
  ['partialResult is unset when all operations fail during an unordered bulk write', 'NODE-6384: partialResult is set for unacknowledged writes'],
  ['partialResult is unset when first operation fails during an ordered bulk write (summary)', 'NODE-6384: partialResult is set for unacknowledged writes'],
  ['partialResult is unset when first operation fails during an ordered bulk write (verbose)', 'NODE-6384: partialResult is set for unacknowledged writes'],
  ['InsertMany passes bypassDocumentValidation: false', 'NODE-6484: the driver omits bypassDocumentValidation: false'],
  ['FindOneAndUpdate passes bypassDocumentValidation: false', 'NODE-6484: the driver omits bypassDocumentValidation: false'],
  ['FindOneAndReplace passes bypassDocumentValidation: false', 'NODE-6484: the driver omits bypassDocumentValidation: false'],
  ['BulkWrite passes bypassDocumentValidation: false', 'NODE-6484: the driver omits bypassDocumentValidation: false'],
  ['Aggregate with $out passes bypassDocumentValidation: false', 'NODE-6484: the driver omits bypassDocumentValidation: false'],
]);

/** `"4.2"` → `[4, 2, 0]`; anything after the patch number (`-rc0`) is dropped, as the format says. */
export function parseVersion(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/** The first condition of one requirement the server fails, or undefined when it meets them all. */
function unmet(requirement: RunOnRequirement, server: ServerFacts): SkipReason | undefined {
  if (requirement.minServerVersion && compareVersions(server.version, parseVersion(requirement.minServerVersion)) < 0) {
    return 'runOnRequirements: minServerVersion above the server';
  }
  if (requirement.maxServerVersion && compareVersions(server.version, parseVersion(requirement.maxServerVersion)) > 0) {
    return 'runOnRequirements: maxServerVersion below the server';
  }
  if (requirement.topologies && !topologyMatches(requirement.topologies, server.topology)) return 'runOnRequirements: topology';
  if (requirement.serverless === 'require' && !server.serverless) return 'runOnRequirements: serverless';
  if (requirement.serverless === 'forbid' && server.serverless) return 'runOnRequirements: serverless';
  if (requirement.auth !== undefined && requirement.auth !== server.auth) return 'runOnRequirements: auth';
  if (requirement.authMechanism !== undefined) return 'runOnRequirements: auth';
  // No CSFLE library is installed, so a requirement that wants it is never met.
  if (requirement.csfle !== undefined && requirement.csfle !== false) return 'runOnRequirements: csfle';
  // Parameters are not fetched; the CRUD files never ask for any. Treat as unmet, as the format does for unknown ones.
  if (requirement.serverParameters !== undefined) return 'runOnRequirements: serverParameters';
  return undefined;
}

function topologyMatches(wanted: string[], actual: ServerFacts['topology']): boolean {
  // "sharded-replicaset" is deprecated; every shard of a supported cluster is a replica set.
  return wanted.some((topology) => topology === actual || (topology === 'sharded-replicaset' && actual === 'sharded'));
}

/** One of the requirements must be met; when none is, the reason from the first one. */
function requirementsReason(requirements: RunOnRequirement[] | undefined, server: ServerFacts): SkipReason | undefined {
  if (!requirements || requirements.length === 0) return undefined;
  const reasons = requirements.map((requirement) => unmet(requirement, server));
  return reasons.includes(undefined) ? undefined : reasons[0];
}

function mentions(value: unknown, predicate: (key: string, item: unknown) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => mentions(item, predicate));
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value as Doc).some(([key, item]) => predicate(key, item) || mentions(item, predicate));
}

const TRANSACTION_OPERATIONS = new Set(['startTransaction', 'commitTransaction', 'abortTransaction', 'withTransaction', 'endSession']);
const FAIL_POINT_OPERATIONS = new Set(['failPoint', 'targetedFailPoint']);

/** Why this test is skipped, or undefined when it is applicable. Checked in the order the brief lists. */
export function skipReason(file: UnifiedFile, test: UnifiedTest, server: ServerFacts): SkipReason | undefined {
  const requirement = requirementsReason(file.runOnRequirements, server) ?? requirementsReason(test.runOnRequirements, server);
  if (requirement) return requirement;
  const usesSessions =
    mentions(file.createEntities, (key) => key === 'session') ||
    test.operations.some((operation) => TRANSACTION_OPERATIONS.has(operation.name) || mentions(operation.arguments, (key) => key === 'session'));
  if (usesSessions) return 'needs sessions or transactions';
  if (test.operations.some((operation) => FAIL_POINT_OPERATIONS.has(operation.name))) return 'needs fail points';
  if (NODE_DRIVER_SKIPS.has(test.description)) return 'skipped by the Node driver (driver gap)';
  if (test.skipReason) return 'skipReason in the test file';
  return undefined;
}
