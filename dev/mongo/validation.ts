import type { Query } from 'mingo/query';
import { isPlainObject, type Doc } from './documents';
import { CommandError, notSupported } from './errors';
import { compileFilter, queryDocument } from './matching';

/**
 * Document validation (`validator`, `validationLevel`, `validationAction` on create and collMod), with
 * query-operator validators. `$jsonSchema` validators are refused: mingo cannot evaluate them.
 */
export class Validation {
  private readonly query: Query;

  private constructor(
    private readonly validator: Doc,
    private readonly level: 'off' | 'strict' | 'moderate',
    private readonly action: 'error' | 'warn',
  ) {
    this.query = compileFilter(validator);
  }

  /** The validation a collection's options ask for, or undefined for none. */
  static fromOptions(options: Doc): Validation | undefined {
    const { validator, validationLevel = 'strict', validationAction = 'error' } = options;
    if (validator === undefined || (isPlainObject(validator) && Object.keys(validator).length === 0)) return undefined;
    if (!isPlainObject(validator)) throw new CommandError('TypeMismatch', "BSON field 'validator' is the wrong type, expected type 'object'");
    if (containsKey(validator, '$jsonSchema')) throw notSupported('a $jsonSchema validator');
    if (validationLevel !== 'off' && validationLevel !== 'strict' && validationLevel !== 'moderate') {
      throw new CommandError('BadValue', `Enumeration value '${String(validationLevel)}' for field 'validationLevel' is not a valid value.`);
    }
    if (validationAction !== 'error' && validationAction !== 'warn') {
      throw new CommandError('BadValue', `Enumeration value '${String(validationAction)}' for field 'validationAction' is not a valid value.`);
    }
    return new Validation(validator, validationLevel, validationAction);
  }

  /**
   * Refuses a document that fails the validator (code 121). `previous` is the stored version for an
   * update: under "moderate", documents that were already invalid may be updated freely.
   */
  check(doc: Doc, previous?: Doc): void {
    if (this.level === 'off' || this.action === 'warn') return;
    if (this.level === 'moderate' && previous && !this.query.test(queryDocument(previous))) return;
    if (this.query.test(queryDocument(doc))) return;
    throw new CommandError('DocumentValidationFailure', 'Document failed validation', {
      errInfo: {
        failingDocumentId: doc._id,
        // mongod explains which rule failed; this server only says which validator did.
        details: { operatorName: '$validator', specifiedAs: this.validator, reason: 'the document does not match the validator' },
      },
    });
  }
}

function containsKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => containsKey(item, key));
  if (!isPlainObject(value)) return false;
  return Object.entries(value).some(([name, item]) => name === key || containsKey(item, key));
}
