import { Double } from 'bson';
import { MingoError } from 'mingo/util';
import { formatValue, type Doc } from './documents';

/** The mongod error codes this server answers with (names are mongod's `codeName`s). */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  EmptyFieldName: 56,
  InvalidIdField: 53,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  CommandNotSupportedOnView: 166,
  QueryPlanKilled: 175,
  InvalidIndexSpecificationOption: 197,
  CannotIndexParallelArrays: 171,
  UnsupportedOpQueryCommand: 352,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  Location40414: 40414,
  Location40415: 40415,
  Location40324: 40324,
  Location40571: 40571,
  Location31250: 31250,
  Location31254: 31254,
  Location28667: 28667,
  Location28724: 28724,
  Location51246: 51246,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** An error that becomes a `{ ok: 0, errmsg, code, codeName }` reply (or a write error) instead of a crash. */
export class CommandError extends Error {
  readonly code: number;

  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    /** Extra reply fields, e.g. `keyPattern`/`keyValue` on duplicate keys. */
    readonly details: Doc = {},
  ) {
    super(message);
    this.code = ErrorCode[codeName];
  }
}

/** Marks every refusal, so clients and the spec runner can tell "not implemented here" from a real error. */
export const NOT_SUPPORTED = 'is not supported by the embedded MongoDB dev server';

/**
 * Something mongod would do that this server does not: refused out loud (BadValue, as mongod answers
 * unknown options) rather than ignored or approximated.
 */
export function notSupported(what: string): CommandError {
  return new CommandError('BadValue', `${what} ${NOT_SUPPORTED}`);
}

/** A whole command this server does not implement. */
export function commandNotSupported(name: string): CommandError {
  return new CommandError('CommandNotSupported', `command ${name} ${NOT_SUPPORTED}`);
}

export function duplicateKeyError(ns: string, indexName: string, keyPattern: Doc, keyValue: Doc): CommandError {
  const message = `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${formatValue(keyValue)}`;
  return new CommandError('DuplicateKey', message, { keyPattern, keyValue });
}

/** mingo reports every problem as MingoError; translate the ones clients branch on to mongod's codes. */
function fromMingoError(error: MingoError): CommandError {
  const message = error.message.replace(/^mingo: /, '');
  if (/immutable field/.test(message)) return new CommandError('ImmutableField', message);
  if (/would create a conflict/.test(message)) return new CommandError('ConflictingUpdateOperators', message);
  if (/^Unknown update operator/.test(message)) return new CommandError('FailedToParse', message);
  return new CommandError('BadValue', message);
}

export function toCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  if (error instanceof MingoError) return fromMingoError(error);
  const message = error instanceof Error ? error.message : String(error);
  // Anything else is a bug or input mingo/bson could not digest; the client still gets a well-formed answer.
  return new CommandError(error instanceof RangeError ? 'BadValue' : 'InternalError', message);
}

export function errorReply(error: unknown): Doc {
  const failure = toCommandError(error);
  return { ok: new Double(0), errmsg: failure.message, code: failure.code, codeName: failure.codeName, ...failure.details };
}

/** One entry of a write command's `writeErrors` array. */
export function writeErrorEntry(index: number, error: unknown): Doc {
  const failure = toCommandError(error);
  return { index, code: failure.code, errmsg: failure.message, ...failure.details };
}
