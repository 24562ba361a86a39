import type { AnyBulkWriteOperation, BulkWriteResult, ClientBulkWriteModel, Collection, Db, Filter, MongoClient, UpdateFilter } from 'mongodb';
import type { EntityMap } from './entities';
import { readPreference } from './entities';
import { isDoc, type Doc, type Operation } from './format';

/**
 * Entity operations of the CRUD spec tests, each a call of the driver's public API with the test's
 * arguments passed through (as the Node driver's own runner does). Iterables are read to the end.
 */
export interface OperationOutcome {
  value: unknown;
  /** The value is a list of documents from a cursor: each element is matched as a root document. */
  documents?: boolean;
}

type Handler = (entities: EntityMap, object: string, args: Doc) => Promise<OperationOutcome>;

/** Arguments the runner resolves itself rather than handing to the driver. */
function driverOptions(args: Doc): Doc {
  const options: Doc = { ...args };
  if (isDoc(options.readPreference)) options.readPreference = readPreference(options.readPreference);
  if (typeof options.returnDocument === 'string') {
    const value = options.returnDocument.toLowerCase();
    if (value !== 'before' && value !== 'after') throw new Error(`returnDocument must be Before or After, not ${options.returnDocument}`);
    options.returnDocument = value;
  }
  return options;
}

function take(args: Doc, ...names: string[]): [unknown[], Doc] {
  const rest = { ...args };
  const values = names.map((name) => {
    const value = rest[name];
    delete rest[name];
    return value;
  });
  return [values, driverOptions(rest)];
}

const filterOf = (value: unknown): Filter<Doc> => (isDoc(value) ? value : {}) as Filter<Doc>;
const docOf = (value: unknown, what: string): Doc => {
  if (!isDoc(value)) throw new Error(`${what} must be a document`);
  return value;
};

/** A BulkWriteResult as the document the format compares against. */
export function bulkWriteResultDocument(result: BulkWriteResult): Doc {
  return {
    insertedCount: result.insertedCount,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    deletedCount: result.deletedCount,
    upsertedCount: result.upsertedCount,
    upsertedIds: result.upsertedIds,
    insertedIds: result.insertedIds,
  };
}

const value = (result: unknown): OperationOutcome => ({ value: result });

function collectionOperations(): Record<string, (collection: Collection<Doc>, args: Doc) => Promise<OperationOutcome>> {
  return {
    insertOne: async (collection, args) => {
      const [[document], options] = take(args, 'document');
      // A copy: the driver adds _id to the object it is given.
      return value(await collection.insertOne({ ...docOf(document, 'document') }, options));
    },
    insertMany: async (collection, args) => {
      const [[documents], options] = take(args, 'documents');
      const copies = (Array.isArray(documents) ? documents : []).map((document) => ({ ...docOf(document, 'documents[]') }));
      return value(await collection.insertMany(copies, options));
    },
    find: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return { value: await collection.find(filterOf(filter), options).toArray(), documents: true };
    },
    findOne: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.findOne(filterOf(filter), options));
    },
    countDocuments: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.countDocuments(filterOf(filter), options));
    },
    count: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.count(filterOf(filter), options));
    },
    estimatedDocumentCount: async (collection, args) => value(await collection.estimatedDocumentCount(driverOptions(args))),
    distinct: async (collection, args) => {
      const [[fieldName, filter], options] = take(args, 'fieldName', 'filter');
      return value(await collection.distinct(String(fieldName), filterOf(filter), options));
    },
    deleteOne: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.deleteOne(filterOf(filter), options));
    },
    deleteMany: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.deleteMany(filterOf(filter), options));
    },
    replaceOne: async (collection, args) => {
      const [[filter, replacement], options] = take(args, 'filter', 'replacement');
      return value(await collection.replaceOne(filterOf(filter), docOf(replacement, 'replacement'), options));
    },
    updateOne: async (collection, args) => {
      const [[filter, update], options] = take(args, 'filter', 'update');
      return value(await collection.updateOne(filterOf(filter), update as UpdateFilter<Doc> | Doc[], options));
    },
    updateMany: async (collection, args) => {
      const [[filter, update], options] = take(args, 'filter', 'update');
      return value(await collection.updateMany(filterOf(filter), update as UpdateFilter<Doc> | Doc[], options));
    },
    findOneAndDelete: async (collection, args) => {
      const [[filter], options] = take(args, 'filter');
      return value(await collection.findOneAndDelete(filterOf(filter), options));
    },
    findOneAndReplace: async (collection, args) => {
      const [[filter, replacement], options] = take(args, 'filter', 'replacement');
      return value(await collection.findOneAndReplace(filterOf(filter), docOf(replacement, 'replacement'), options));
    },
    findOneAndUpdate: async (collection, args) => {
      const [[filter, update], options] = take(args, 'filter', 'update');
      return value(await collection.findOneAndUpdate(filterOf(filter), update as UpdateFilter<Doc> | Doc[], options));
    },
    bulkWrite: async (collection, args) => {
      const [[requests], options] = take(args, 'requests');
      const models = (Array.isArray(requests) ? requests : []) as AnyBulkWriteOperation<Doc>[];
      return value(bulkWriteResultDocument(await collection.bulkWrite(models, options)));
    },
    aggregate: async (collection, args) => {
      const [[pipeline], options] = take(args, 'pipeline');
      return { value: await collection.aggregate(pipeline as Doc[], options).toArray(), documents: true };
    },
    createIndex: async (collection, args) => {
      const [[keys], options] = take(args, 'keys');
      return value(await collection.createIndex(docOf(keys, 'keys') as Record<string, 1 | -1>, options));
    },
  };
}

function databaseOperations(): Record<string, (db: Db, args: Doc) => Promise<OperationOutcome>> {
  return {
    aggregate: async (db, args) => {
      const [[pipeline], options] = take(args, 'pipeline');
      return { value: await db.aggregate(pipeline as Doc[], options).toArray(), documents: true };
    },
    createCollection: async (db, args) => {
      const [[name], options] = take(args, 'collection');
      await db.createCollection(String(name), options);
      // The result is a Collection object, which no test compares.
      return value(undefined);
    },
    dropCollection: async (db, args) => {
      const [[name], options] = take(args, 'collection');
      return value(await db.dropCollection(String(name), options));
    },
    modifyCollection: async (db, args) => {
      const [[name], options] = take(args, 'collection');
      return value(await db.command({ collMod: String(name), ...options }));
    },
    runCommand: async (db, args) => {
      const [[command], options] = take(args, 'command', 'commandName');
      return value(await db.command(docOf(command, 'command'), options));
    },
  };
}

function clientOperations(): Record<string, (client: MongoClient, args: Doc) => Promise<OperationOutcome>> {
  return {
    clientBulkWrite: async (client, args) => {
      const [[models], options] = take(args, 'models');
      // `{ insertOne: { namespace, document } }` → the driver's `{ name: 'insertOne', namespace, document }`.
      const flat = (Array.isArray(models) ? models : []).map((model) => {
        const [name, fields] = Object.entries(docOf(model, 'models[]'))[0] ?? [];
        return { name, ...docOf(fields, `models[].${String(name)}`) };
      });
      return value(await client.bulkWrite(flat as unknown as ClientBulkWriteModel[], options));
    },
  };
}

const CLIENT_OPERATIONS = clientOperations();
const COLLECTION_OPERATIONS = collectionOperations();
const DATABASE_OPERATIONS = databaseOperations();

/** Runs one entity operation; an unknown operation or entity is an error of the test, not the server. */
export async function runEntityOperation(entities: EntityMap, operation: Operation): Promise<OperationOutcome> {
  const args = operation.arguments ?? {};
  const handler: Handler | undefined = (() => {
    const kind = entities.kindOf(operation.object);
    if (kind === 'collection') {
      const run = COLLECTION_OPERATIONS[operation.name];
      return run && ((map: EntityMap, object: string, input: Doc) => run(map.collection(object), input));
    }
    if (kind === 'client') {
      const run = CLIENT_OPERATIONS[operation.name];
      return run && ((map: EntityMap, object: string, input: Doc) => run(map.client(object).client, input));
    }
    if (kind === 'database') {
      const run = DATABASE_OPERATIONS[operation.name];
      return run && ((map: EntityMap, object: string, input: Doc) => run(map.database(object), input));
    }
    return undefined;
  })();
  if (!handler) throw new UnsupportedOperationError(`operation ${operation.name} on ${operation.object} is not implemented by this runner`);
  return handler(entities, operation.object, args);
}

/** The runner itself lacks something: reported as a failure of the runner, never blamed on the server. */
export class UnsupportedOperationError extends Error {}
