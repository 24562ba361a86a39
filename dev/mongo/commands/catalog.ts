import { calculateObjectSize } from 'bson';
import { readNumber } from '../args';
import type { Doc } from '../documents';
import { parseCollation } from '../collation';
import { CommandError, notSupported } from '../errors';
import { ID_INDEX_SPEC, parseIndexSpec } from '../indexes';
import { compileFilter } from '../matching';
import type { Collection } from '../store';
import type { CommandContext, CommandHandler } from './context';
import { checkCommandFields } from './fields';
import { cursorReply } from './reads';

/**
 * Collection options kept and honoured (validation), or harmless here (storage engine tuning). The rest
 * mongod knows are refused: this server would store them without doing what they ask (capped size
 * limits, views, time series, clustering…).
 */
const CREATE_FIELDS = {
  known: ['validator', 'validationLevel', 'validationAction', 'collation', 'storageEngine', 'indexOptionDefaults'],
  refused: [
    'capped', 'size', 'max', 'autoIndexId', 'viewOn', 'pipeline', 'timeseries', 'clusteredIndex', 'encryptedFields',
    'changeStreamPreAndPostImages', 'expireAfterSeconds', 'idIndex',
  ],
};

/** Envelope fields that are not collection options. */
const NOT_OPTIONS = new Set(['lsid', 'txnNumber', 'writeConcern', 'comment', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors']);

function create(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  checkCommandFields(ctx.command, 'create', CREATE_FIELDS);
  // A default collation would have to apply to every query and index of the collection.
  if (parseCollation(ctx.command.collation)) throw notSupported('a default collation on create');
  const options = Object.fromEntries(Object.entries(ctx.command).filter(([key]) => key !== 'create' && !key.startsWith('$') && !NOT_OPTIONS.has(key)));
  ctx.store.createCollection(ctx.db, name, options);
  return {};
}

const COLL_MOD_FIELDS = {
  known: ['validator', 'validationLevel', 'validationAction'],
  refused: ['index', 'viewOn', 'pipeline', 'expireAfterSeconds', 'changeStreamPreAndPostImages', 'cappedSize', 'cappedMax', 'timeseries', 'clusteredIndex'],
};

/** collMod: changes a collection's validation settings. */
function collMod(ctx: CommandContext): Doc {
  checkCommandFields(ctx.command, 'collMod', COLL_MOD_FIELDS);
  const collection = requireCollection(ctx);
  const changes = Object.fromEntries(COLL_MOD_FIELDS.known.filter((field) => ctx.command[field] !== undefined).map((field) => [field, ctx.command[field]]));
  collection.modify(changes);
  return {};
}

function drop(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  // mongod 7.0 answers ok for a collection that does not exist.
  const dropped = ctx.store.dropCollection(ctx.db, name);
  return dropped ? { nIndexesWas: dropped.indexSpecs().length, ns: dropped.ns } : {};
}

function dropDatabase(ctx: CommandContext): Doc {
  ctx.store.dropDatabase(ctx.db);
  return { dropped: ctx.db };
}

function collectionInfo(collection: Collection, nameOnly: boolean): Doc {
  if (nameOnly) return { name: collection.name, type: 'collection' };
  return {
    name: collection.name,
    type: 'collection',
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: ID_INDEX_SPEC,
  };
}

function listCollections(ctx: CommandContext): Doc {
  const filter = ctx.args.doc('filter');
  const nameOnly = ctx.args.bool('nameOnly');
  const query = filter && Object.keys(filter).length ? compileFilter(filter) : undefined;
  // Filter on the full info (as mongod does), then trim to the names.
  const infos = ctx.store
    .collections(ctx.db)
    .filter((collection) => !query || query.test(collectionInfo(collection, false)))
    .map((collection) => collectionInfo(collection, nameOnly));
  const ns = `${ctx.db}.$cmd.listCollections`;
  return cursorReply(ns, ctx.cursors.open(ns, infos, batchOptions(ctx)), true);
}

function batchOptions(ctx: CommandContext): { batchSize?: number } {
  const cursor = ctx.args.doc('cursor');
  const batchSize = readNumber(cursor?.batchSize, () => new CommandError('TypeMismatch', 'cursor.batchSize must be a number'));
  return batchSize === undefined ? {} : { batchSize };
}

function databaseSize(ctx: CommandContext, db: string): number {
  let size = 0;
  for (const collection of ctx.store.collections(db)) for (const doc of collection.documents()) size += calculateObjectSize(doc);
  return size;
}

function listDatabases(ctx: CommandContext): Doc {
  const nameOnly = ctx.args.bool('nameOnly');
  const filter = ctx.args.doc('filter');
  const query = filter && Object.keys(filter).length ? compileFilter(filter) : undefined;
  const databases = ctx.store
    .databaseNames()
    .map((name) => (nameOnly ? { name } : { name, sizeOnDisk: databaseSize(ctx, name), empty: false }))
    .filter((info) => !query || query.test(info));
  if (nameOnly) return { databases };
  const totalSize = databases.reduce((sum, info) => sum + (typeof info.sizeOnDisk === 'number' ? info.sizeOnDisk : 0), 0);
  return { databases, totalSize, totalSizeMb: Math.floor(totalSize / (1024 * 1024)) };
}

/**
 * createIndexes: all specs are validated and built in order; a unique index over duplicate data fails
 * with E11000 and is not created. TTL indexes are kept and swept every minute.
 */
function createIndexes(ctx: CommandContext): Doc {
  const name = ctx.args.collection();
  const specs = ctx.args.docArray('indexes').map(parseIndexSpec);
  if (specs.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  const { collection, created } = ctx.store.ensureCollection(ctx.db, name);
  const numIndexesBefore = collection.indexSpecs().length;
  let built = 0;
  for (const spec of specs) if (collection.createIndex(spec)) built += 1;
  return {
    numIndexesBefore,
    numIndexesAfter: collection.indexSpecs().length,
    createdCollectionAutomatically: created,
    ...(built === 0 ? { note: 'all indexes already exist' } : {}),
  };
}

function requireCollection(ctx: CommandContext): Collection {
  const name = ctx.args.collection();
  const collection = ctx.store.collection(ctx.db, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  return collection;
}

function listIndexes(ctx: CommandContext): Doc {
  const collection = requireCollection(ctx);
  return cursorReply(collection.ns, ctx.cursors.open(collection.ns, collection.indexSpecs(), batchOptions(ctx)), true);
}

function dropIndexes(ctx: CommandContext): Doc {
  const collection = requireCollection(ctx);
  const target = ctx.command.index;
  if (target === undefined) throw new CommandError('Location40414', "BSON field 'dropIndexes.index' is missing but a required field");
  return { nIndexesWas: collection.dropIndexes(target) };
}

export const catalogCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  createIndexes,
  collMod,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
