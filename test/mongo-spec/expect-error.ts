import { MongoBulkWriteError, MongoError, MongoOperationTimeoutError, MongoServerError } from 'mongodb';
import type { ExpectedError } from './format';
import { assertMatches, describe, MatchError, type EntityLookup } from './match';
import { bulkWriteResultDocument } from './operations';

/** Messages and codes of an error, including those a bulk write error aggregates from its write errors. */
function aggregated(error: unknown): { messages: string[]; codes: number[]; codeNames: string[] } {
  const messages: string[] = [];
  const codes: number[] = [];
  const codeNames: string[] = [];
  if (error instanceof Error) messages.push(error.message);
  if (error instanceof MongoError) {
    if (typeof error.code === 'number') codes.push(error.code);
    const codeName = (error as MongoError & { codeName?: unknown }).codeName;
    if (typeof codeName === 'string') codeNames.push(codeName);
  }
  if (error instanceof MongoBulkWriteError) {
    for (const writeError of error.writeErrors instanceof Array ? error.writeErrors : [error.writeErrors]) {
      messages.push(writeError.errmsg ?? '');
      codes.push(writeError.code);
    }
    const concern = error.result.getWriteConcernError();
    if (concern) {
      messages.push(concern.errmsg ?? '');
      if (concern.code !== undefined) codes.push(concern.code);
    }
  }
  return { messages, codes, codeNames };
}

function check(condition: boolean, message: string, error: unknown): void {
  if (!condition) throw new MatchError(`${message}; the error was ${describeError(error)}`);
}

export function describeError(error: unknown): string {
  if (error instanceof MongoServerError) return `${error.name} code ${String(error.code)} (${error.codeName ?? ''}): ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return describe(error);
}

/** The expectedError assertions of the unified format, against what the driver threw. */
export function assertExpectedError(error: unknown, expected: ExpectedError, entity: EntityLookup): void {
  check(error instanceof MongoError, 'expected a driver error', error);
  const serverError = error instanceof MongoServerError;
  if (expected.isClientError === true) check(!serverError, 'expected a client-side error', error);
  if (expected.isClientError === false) check(serverError, 'expected a server error', error);
  if (expected.isTimeoutError !== undefined) {
    check((error instanceof MongoOperationTimeoutError) === expected.isTimeoutError, `expected isTimeoutError ${String(expected.isTimeoutError)}`, error);
  }
  const { messages, codes, codeNames } = aggregated(error);
  if (expected.errorContains !== undefined) {
    const needle = expected.errorContains.toLowerCase();
    check(messages.some((message) => message.toLowerCase().includes(needle)), `expected the message to contain "${expected.errorContains}"`, error);
  }
  if (expected.errorCode !== undefined) check(codes.includes(expected.errorCode), `expected error code ${expected.errorCode}`, error);
  if (expected.errorCodeName !== undefined) {
    const wanted = expected.errorCodeName.toLowerCase();
    check(codeNames.some((name) => name.toLowerCase() === wanted), `expected codeName ${expected.errorCodeName}`, error);
  }
  const mongoError = error as MongoError;
  for (const label of expected.errorLabelsContain ?? []) check(mongoError.hasErrorLabel(label), `expected label ${label}`, error);
  for (const label of expected.errorLabelsOmit ?? []) check(!mongoError.hasErrorLabel(label), `expected no label ${label}`, error);
  if (expected.writeErrors !== undefined || expected.writeConcernErrors !== undefined) {
    // Only client bulkWrite (MongoDB 8.0+) reports these; no applicable test reaches here on 7.0.
    throw new MatchError('writeErrors/writeConcernErrors expectations are not implemented by this runner');
  }
  if (expected.errorResponse !== undefined) {
    const response = serverError ? (error as MongoServerError).errorResponse : undefined;
    assertMatches(expected.errorResponse, response ?? error, { root: true, entity, path: 'errorResponse' });
  }
  if (expected.expectResult !== undefined) {
    const result = error instanceof MongoBulkWriteError ? bulkWriteResultDocument(error.result) : undefined;
    assertMatches(expected.expectResult, result, { root: true, entity, path: 'error.result' });
  }
}
