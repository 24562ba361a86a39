/**
 * The parts of MongoDB's unified test format (specifications: source/unified-test-format) that the CRUD
 * spec tests use. Values stay `unknown` until an operation or assertion narrows them.
 */
export type Doc = Record<string, unknown>;

export interface RunOnRequirement {
  minServerVersion?: string;
  maxServerVersion?: string;
  topologies?: string[];
  serverless?: 'require' | 'forbid' | 'allow';
  auth?: boolean;
  authMechanism?: string;
  csfle?: boolean | Doc;
  serverParameters?: Doc;
}

export interface CollectionData {
  collectionName: string;
  databaseName: string;
  createOptions?: Doc;
  documents: Doc[];
}

export interface ExpectedError {
  isError?: boolean;
  isClientError?: boolean;
  isTimeoutError?: boolean;
  errorContains?: string;
  errorCode?: number;
  errorCodeName?: string;
  errorLabelsContain?: string[];
  errorLabelsOmit?: string[];
  writeErrors?: Doc;
  writeConcernErrors?: Doc[];
  errorResponse?: Doc;
  expectResult?: unknown;
}

export interface Operation {
  name: string;
  object: string;
  arguments?: Doc;
  ignoreResultAndError?: boolean;
  expectError?: ExpectedError;
  expectResult?: unknown;
  saveResultAsEntity?: string;
}

export interface ExpectedEventsForClient {
  client: string;
  eventType?: 'command' | 'cmap' | 'sdam';
  events: Doc[];
  ignoreExtraEvents?: boolean;
}

export interface UnifiedTest {
  description: string;
  runOnRequirements?: RunOnRequirement[];
  skipReason?: string;
  operations: Operation[];
  expectEvents?: ExpectedEventsForClient[];
  outcome?: CollectionData[];
}

export interface UnifiedFile {
  description: string;
  schemaVersion: string;
  runOnRequirements?: RunOnRequirement[];
  createEntities?: Doc[];
  initialData?: CollectionData[];
  tests: UnifiedTest[];
}

/** A test file as loaded: its file name beside its content. */
export interface SpecFile {
  name: string;
  content: UnifiedFile;
}

export function isDoc(value: unknown): value is Doc {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
