import type { Doc } from '../documents';
import { CommandError, notSupported } from '../errors';

/**
 * mongod 7.0 checks every command against its definition: an unknown field is error 40415 ("BSON field
 * 'update.updates.sort' is an unknown field."). This server does the same, and refuses by name the fields
 * mongod knows but this server does not implement, so no option is ever silently ignored.
 */

/** Fields any command may carry; they change nothing on a standalone in-memory server. */
const GENERIC_FIELDS = new Set([
  'lsid', 'txnNumber', 'readConcern', 'writeConcern', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors',
  'mayBypassWriteBlocking', 'term', 'autocommit', 'startTransaction',
]);

export interface FieldRules {
  /** Fields the handler reads. */
  known: readonly string[];
  /** Fields mongod accepts that this server refuses ("… is not supported by the embedded MongoDB dev server"). */
  refused?: readonly string[];
}

function check(document: Doc, label: string, rules: FieldRules, generic: boolean, skipFirst: boolean): void {
  const keys = Object.keys(document);
  for (const [index, field] of keys.entries()) {
    if (skipFirst && index === 0) continue;
    if (rules.known.includes(field)) continue;
    // $db, $readPreference, $clusterTime…: envelope fields the driver adds.
    if (generic && (field.startsWith('$') || GENERIC_FIELDS.has(field))) continue;
    if (rules.refused?.includes(field)) throw notSupported(`option '${field}' of ${label}`);
    throw new CommandError('Location40415', `BSON field '${label}.${field}' is an unknown field.`);
  }
}

/** Checks a command's top-level fields (the first one is the command name itself). */
export function checkCommandFields(command: Doc, name: string, rules: FieldRules): void {
  check(command, name, rules, true, true);
}

/** Checks one element of a write command's array (`update.updates`, `delete.deletes`). */
export function checkStatementFields(statement: Doc, label: string, rules: FieldRules): void {
  check(statement, label, rules, false, false);
}
