import type { MongoClient } from 'mongodb';
import type { EntityMap } from './entities';
import { isDoc, type Doc, type Operation } from './format';
import { MatchError } from './match';
import { UnsupportedOperationError } from './operations';

/**
 * The format's "Special Test Operations" (`object: testRunner`) that the CRUD files can use. They read
 * through the internal client. Fail points are not here: tests that need them are skipped.
 */
export async function runSpecialOperation(operation: Operation, entities: EntityMap, internal: MongoClient): Promise<void> {
  const args: Doc = operation.arguments ?? {};
  switch (operation.name) {
    case 'createEntities':
      await entities.create(Array.isArray(args.entities) ? args.entities.filter(isDoc) : []);
      return;
    case 'assertCollectionExists':
    case 'assertCollectionNotExists': {
      const names = await internal.db(String(args.databaseName)).listCollections({}, { nameOnly: true }).map((info) => info.name).toArray();
      const exists = names.includes(String(args.collectionName));
      if (exists !== (operation.name === 'assertCollectionExists')) {
        throw new MatchError(`collection ${String(args.databaseName)}.${String(args.collectionName)} ${exists ? 'exists' : 'does not exist'}`);
      }
      return;
    }
    case 'assertIndexExists':
    case 'assertIndexNotExists': {
      const indexes = await internal.db(String(args.databaseName)).collection(String(args.collectionName)).listIndexes().toArray();
      const exists = indexes.some((index) => index.name === args.indexName);
      if (exists !== (operation.name === 'assertIndexExists')) throw new MatchError(`index ${String(args.indexName)} ${exists ? 'exists' : 'does not exist'}`);
      return;
    }
    default:
      throw new UnsupportedOperationError(`special operation ${operation.name} is not implemented by this runner`);
  }
}
