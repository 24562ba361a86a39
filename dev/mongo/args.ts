import type { Double, Int32, Long } from 'bson';
import { bsonTypeName, bsonTypeOf, isPlainObject, type Doc } from './documents';
import { CommandError } from './errors';

/**
 * Typed readers for command fields. Wrong types answer like mongod
 * (`BSON field 'find.filter' is the wrong type 'string', expected type 'object'`).
 */
export class CommandArgs {
  constructor(
    readonly command: Doc,
    readonly name: string,
  ) {}

  private wrongType(field: string, value: unknown, expected: string): CommandError {
    return new CommandError(
      'TypeMismatch',
      `BSON field '${this.name}.${field}' is the wrong type '${bsonTypeName(value)}', expected type '${expected}'`,
    );
  }

  private missing(field: string): CommandError {
    return new CommandError('Location40414', `BSON field '${this.name}.${field}' is missing but a required field`);
  }

  /** The collection named by the command's first field (`{ find: "orders" }`). */
  collection(): string {
    const value = this.command[this.name];
    if (typeof value !== 'string' || value.length === 0) {
      throw new CommandError('InvalidNamespace', `collection name has invalid type ${bsonTypeName(value)}`);
    }
    return value;
  }

  doc(field: string): Doc | undefined {
    const value = this.command[field];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) throw this.wrongType(field, value, 'object');
    return value;
  }

  requiredDoc(field: string): Doc {
    const value = this.doc(field);
    if (!value) throw this.missing(field);
    return value;
  }

  number(field: string): number | undefined {
    return readNumber(this.command[field], () => this.wrongType(field, this.command[field], 'long'));
  }

  bool(field: string): boolean {
    const value = this.command[field];
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    const number = readNumber(value, () => this.wrongType(field, value, 'bool'));
    return number !== 0;
  }

  string(field: string): string | undefined {
    const value = this.command[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.wrongType(field, value, 'string');
    return value;
  }

  docArray(field: string): Doc[] {
    const value = this.command[field];
    if (value === undefined) throw this.missing(field);
    if (!Array.isArray(value)) throw this.wrongType(field, value, 'array');
    return value.map((item: unknown, index) => {
      if (!isPlainObject(item)) throw this.wrongType(`${field}.${index}`, item, 'object');
      return item;
    });
  }

  optionalDocArray(field: string): Doc[] | undefined {
    return this.command[field] === undefined || this.command[field] === null ? undefined : this.docArray(field);
  }
}

/** Accepts int, double and Long (the driver sends cursor ids and some limits as Long). */
export function readNumber(value: unknown, onWrongType: () => Error): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const type = bsonTypeOf(value);
  if (type === 'Long') return (value as Long).toNumber();
  if (type === 'Int32' || type === 'Double') return (value as Int32 | Double).value;
  throw onWrongType();
}
