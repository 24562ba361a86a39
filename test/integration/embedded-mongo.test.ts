import { connect as connectTcp } from 'node:net';
import { Double, Int32, Long, MongoClient, MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import mongoose, { Schema, Types, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { useIntegrationEnv } from '../support/integration';
import { waitFor } from '../support/wait-for';

/**
 * Runs against the embedded wire server, or a real MongoDB when MONGO_URL is set: every assertion here is
 * real MongoDB behaviour, so the embedded server is held to the same contract.
 */
const env = useIntegrationEnv({ redis: false });

const attemptSchema = new Schema({
  provider: { type: String, required: true },
  status: { type: String, required: true },
  startedAt: { type: Date, required: true },
  error: String,
});

const orderSchema = new Schema(
  {
    orderRef: { type: String, required: true, unique: true },
    status: { type: String, required: true, default: 'pending' },
    provider: { type: String, enum: ['smartvps', 'hostycare'], required: true },
    provisioningStatus: { type: String, default: 'queued' },
    packageName: { type: String, required: true },
    fencing: { type: Number, default: 0 },
    attempts: { type: [attemptSchema], default: [] },
    paidAt: Date,
  },
  { timestamps: true },
);

type OrderFields = InferSchemaType<typeof orderSchema>;

let connection: Connection;
let Order: Model<OrderFields>;
/** Every command name the client sent (the cursor tests look for getMore). */
const commandsSent: string[] = [];

function orderInput(i: number, extra: Partial<OrderFields> = {}): Partial<OrderFields> {
  return {
    orderRef: `ORD-${String(i).padStart(4, '0')}`,
    provider: i % 2 === 0 ? 'smartvps' : 'hostycare',
    packageName: i % 3 === 0 ? 'vps-large' : 'vps-small',
    paidAt: new Date(Date.UTC(2024, 0, 1 + (i % 28))),
    ...extra,
  };
}

function db(conn: Connection = connection) {
  if (!conn.db) throw new Error('connection is not open');
  return conn.db;
}

async function openConnection(options: mongoose.ConnectOptions = {}): Promise<Connection> {
  const conn = await mongoose.createConnection(env.mongoUrl, options).asPromise();
  env.track({ close: () => conn.close() });
  return conn;
}

beforeAll(async () => {
  connection = await openConnection({ monitorCommands: true });
  connection.getClient().on('commandStarted', (event) => commandsSent.push(event.commandName));
  Order = connection.model<OrderFields>('Order', orderSchema);
  await Order.init();
});

beforeEach(async () => {
  await Order.deleteMany({});
  commandsSent.length = 0;
});

describe('embedded MongoDB (mongoose)', () => {
  it('lets exactly one of 50 concurrent compare-and-set callers win', async () => {
    const order = await Order.create(orderInput(1));
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, worker) =>
        Order.findOneAndUpdate(
          { _id: order._id, fencing: 0, status: 'pending' },
          { $inc: { fencing: 1 }, $set: { status: 'provisioning', provisioningStatus: `claimed-by-${worker}` } },
          { returnDocument: 'after' },
        ).lean(),
      ),
    );
    const winners = claims.filter((claim) => claim !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ fencing: 1, status: 'provisioning' });
    const stored = await Order.findById(order._id).lean();
    expect(stored?.fencing).toBe(1);
    expect(stored?.provisioningStatus).toBe(winners[0]?.provisioningStatus);
  });

  it('rejects a duplicate on insert with E11000 / code 11000', async () => {
    await Order.create(orderInput(1));
    const error: unknown = await Order.create(orderInput(1)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 11000, keyValue: { orderRef: 'ORD-0001' } });
    expect((error as Error).message).toMatch(/E11000 duplicate key error collection: .*\.orders index: orderRef_1 dup key: \{ orderRef: "ORD-0001" \}/);
    expect(await Order.countDocuments()).toBe(1);
  });

  it('rejects a duplicate on update and leaves the document unchanged', async () => {
    await Order.create([orderInput(1), orderInput(2)]);
    await expect(Order.updateOne({ orderRef: 'ORD-0002' }, { $set: { orderRef: 'ORD-0001' } })).rejects.toMatchObject({ code: 11000 });
    await expect(
      Order.findOneAndUpdate({ orderRef: 'ORD-0002' }, { $set: { orderRef: 'ORD-0001', status: 'active' } }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await Order.findOne({ orderRef: 'ORD-0002' }).lean()).toMatchObject({ status: 'pending' });
  });

  it('inserts the rest of an unordered batch around a duplicate', async () => {
    const docs = [orderInput(1), orderInput(2), orderInput(1), orderInput(3)];
    const error: unknown = await Order.insertMany(docs, { ordered: false }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 11000 });
    expect(await Order.countDocuments()).toBe(3);
  });

  it('counts with a filter, and sorts, skips and limits', async () => {
    await Order.insertMany(Array.from({ length: 30 }, (_, i) => orderInput(i)));
    expect(await Order.countDocuments({ provider: 'smartvps' })).toBe(15);
    expect(await Order.countDocuments({ provider: 'smartvps', packageName: 'vps-large' })).toBe(5);
    expect(await Order.estimatedDocumentCount()).toBe(30);
    const page = await Order.find({ provider: 'hostycare' }).sort({ orderRef: -1 }).skip(2).limit(3).lean();
    expect(page.map((order) => order.orderRef)).toEqual(['ORD-0025', 'ORD-0023', 'ORD-0021']);
  });

  it('streams more than 101 documents through real cursors (getMore)', async () => {
    await Order.insertMany(Array.from({ length: 250 }, (_, i) => orderInput(i)));
    commandsSent.length = 0;

    const streamed: string[] = [];
    for await (const order of Order.find().sort({ orderRef: 1 }).cursor()) streamed.push(order.orderRef);
    expect(streamed).toHaveLength(250);
    expect(streamed[0]).toBe('ORD-0000');
    expect(streamed[249]).toBe('ORD-0249');
    expect(commandsSent.filter((name) => name === 'getMore').length).toBeGreaterThanOrEqual(1);

    const lean = await Order.find({}, { orderRef: 1 }).lean();
    expect(new Set(lean.map((order) => order.orderRef)).size).toBe(250);

    commandsSent.length = 0;
    const batched = await Order.collection.find({}, { batchSize: 40 }).toArray();
    expect(batched).toHaveLength(250);
    expect(commandsSent.filter((name) => name === 'getMore').length).toBeGreaterThanOrEqual(6);
  });

  it('aggregates with $match, $group and $sort', async () => {
    await Order.insertMany(Array.from({ length: 12 }, (_, i) => orderInput(i, { status: i < 9 ? 'active' : 'failed' })));
    const rows = await Order.aggregate<{ _id: string; count: number; refs: string[] }>([
      { $match: { status: 'active' } },
      { $group: { _id: '$packageName', count: { $sum: 1 }, refs: { $push: '$orderRef' } } },
      { $sort: { count: -1, _id: 1 } },
    ]);
    expect(rows.map(({ _id, count }) => ({ _id, count }))).toEqual([
      { _id: 'vps-small', count: 6 },
      { _id: 'vps-large', count: 3 },
    ]);
    const unwound = await Order.aggregate<{ n: number }>([{ $unwind: '$attempts' }, { $count: 'n' }]);
    expect(unwound).toEqual([]);
  });

  it('upserts with updateOne and findOneAndUpdate, applying $setOnInsert only on insert', async () => {
    const first = await Order.updateOne(
      { orderRef: 'ORD-UPSERT', provider: 'smartvps' },
      { $set: { status: 'pending' }, $setOnInsert: { packageName: 'vps-small', fencing: 7 } },
      { upsert: true },
    );
    expect(first).toMatchObject({ upsertedCount: 1, matchedCount: 0 });
    expect(first.upsertedId).toBeInstanceOf(Types.ObjectId);
    const again = await Order.updateOne(
      { orderRef: 'ORD-UPSERT', provider: 'smartvps' },
      { $set: { status: 'active' }, $setOnInsert: { fencing: 99 } },
      { upsert: true },
    );
    expect(again).toMatchObject({ upsertedCount: 0, matchedCount: 1, modifiedCount: 1 });
    expect(await Order.findOne({ orderRef: 'ORD-UPSERT' }).lean()).toMatchObject({ provider: 'smartvps', status: 'active', fencing: 7, packageName: 'vps-small' });

    const created = await Order.findOneAndUpdate(
      { orderRef: 'ORD-FAU' },
      { $set: { status: 'provisioning' }, $setOnInsert: { provider: 'hostycare', packageName: 'vps-large' } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    expect(created).toMatchObject({ orderRef: 'ORD-FAU', status: 'provisioning', provider: 'hostycare', packageName: 'vps-large' });
    expect(created?.createdAt).toBeInstanceOf(Date);
  });

  it('pushes attempts and updates them with positional $ and arrayFilters', async () => {
    const order = await Order.create(orderInput(1));
    const startedAt = new Date('2024-03-01T10:00:00Z');
    await Order.updateOne({ _id: order._id }, { $push: { attempts: { provider: 'smartvps', status: 'running', startedAt } } });
    await Order.updateOne({ _id: order._id }, { $push: { attempts: { provider: 'hostycare', status: 'running', startedAt } } });
    await Order.updateOne({ _id: order._id, 'attempts.provider': 'smartvps' }, { $set: { 'attempts.$.status': 'failed', 'attempts.$.error': 'quota' } });
    await Order.updateOne(
      { _id: order._id },
      { $set: { 'attempts.$[a].status': 'succeeded' } },
      { arrayFilters: [{ 'a.status': 'running' }] },
    );
    const stored = await Order.findById(order._id).lean();
    expect(stored?.attempts.map(({ provider, status, error }) => ({ provider, status, error }))).toEqual([
      { provider: 'smartvps', status: 'failed', error: 'quota' },
      { provider: 'hostycare', status: 'succeeded', error: undefined },
    ]);
    expect(stored?.attempts[0]?.startedAt).toEqual(startedAt);
    expect(stored?.attempts[0]?._id).toBeInstanceOf(Types.ObjectId);

    const [summary] = await Order.aggregate<{ _id: string; n: number }>([{ $unwind: '$attempts' }, { $group: { _id: '$attempts.status', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(summary).toEqual({ _id: 'failed', n: 1 });
  });

  it('returns the document before or after the update', async () => {
    await Order.create(orderInput(1, { fencing: 3 }));
    const before = await Order.findOneAndUpdate({ orderRef: 'ORD-0001' }, { $inc: { fencing: 1 } }).lean();
    expect(before?.fencing).toBe(3);
    const after = await Order.findOneAndUpdate({ orderRef: 'ORD-0001' }, { $inc: { fencing: 1 } }, { returnDocument: 'after' }).lean();
    expect(after?.fencing).toBe(5);
    const projected = await Order.findOneAndUpdate({ orderRef: 'ORD-0001' }, { $set: { status: 'active' } }, { returnDocument: 'after' }).select('status').lean();
    expect(Object.keys(projected ?? {}).sort()).toEqual(['_id', 'status']);
    expect(projected?.status).toBe('active');
    const removed = await Order.findOneAndDelete({ orderRef: 'ORD-0001' }).lean();
    expect(removed?.fencing).toBe(5);
    expect(await Order.findOneAndUpdate({ orderRef: 'missing' }, { $inc: { fencing: 1 } }).lean()).toBeNull();
  });

  it('replaces a document and runs pipeline updates', async () => {
    const order = await Order.create(orderInput(1, { fencing: 2 }));
    await Order.collection.updateOne({ _id: order._id }, [{ $set: { fencing: { $add: ['$fencing', 10] }, provisioningStatus: { $concat: ['$status', '-x'] } } }]);
    expect(await Order.findById(order._id).lean()).toMatchObject({ fencing: 12, provisioningStatus: 'pending-x' });
    await Order.collection.replaceOne({ _id: order._id }, { orderRef: 'ORD-0001', provider: 'hostycare', packageName: 'vps-large', status: 'active' });
    const replaced = await Order.collection.findOne({ _id: order._id });
    expect(replaced).toEqual({ _id: order._id, orderRef: 'ORD-0001', provider: 'hostycare', packageName: 'vps-large', status: 'active' });
  });

  it('deletes many, finds distinct values and projects fields', async () => {
    await Order.insertMany(Array.from({ length: 10 }, (_, i) => orderInput(i, { status: i < 4 ? 'cancelled' : 'active' })));
    expect((await Order.distinct('packageName')).sort()).toEqual(['vps-large', 'vps-small']);
    expect((await Order.distinct('provider', { status: 'cancelled' })).sort()).toEqual(['hostycare', 'smartvps']);
    const deleted = await Order.deleteMany({ status: 'cancelled' });
    expect(deleted.deletedCount).toBe(4);
    expect(await Order.countDocuments()).toBe(6);
    const projected = await Order.find({}, { orderRef: 1, status: 1, _id: 0 }).sort({ orderRef: 1 }).limit(1).lean();
    expect(projected).toEqual([{ orderRef: 'ORD-0004', status: 'active' }]);
    const excluded = await Order.findOne({ orderRef: 'ORD-0005' }).select('-attempts -createdAt -updatedAt -__v').lean();
    expect(Object.keys(excluded ?? {}).sort()).toEqual(['_id', 'fencing', 'orderRef', 'packageName', 'paidAt', 'provider', 'provisioningStatus', 'status']);
  });

  it('matches Date ranges and ObjectId equality', async () => {
    const orders = await Order.insertMany(Array.from({ length: 28 }, (_, i) => orderInput(i)));
    const inJanuaryTenToTwenty = await Order.find({ paidAt: { $gte: new Date('2024-01-10T00:00:00Z'), $lt: new Date('2024-01-20T00:00:00Z') } }).lean();
    expect(inJanuaryTenToTwenty).toHaveLength(10);
    const target = orders[5];
    if (!target) throw new Error('missing fixture');
    const byId = await Order.findById(new Types.ObjectId(target._id.toHexString())).lean();
    expect(byId?.orderRef).toBe('ORD-0005');
    const byIds = await Order.find({ _id: { $in: [orders[1]?._id, orders[2]?._id] } }).sort({ orderRef: 1 }).lean();
    expect(byIds.map((order) => order.orderRef)).toEqual(['ORD-0001', 'ORD-0002']);
    const sortedByDate = await Order.find().sort({ paidAt: -1, orderRef: 1 }).limit(1).lean();
    expect(sortedByDate[0]?.orderRef).toBe('ORD-0027');
  });

  it('lists, creates and drops indexes', async () => {
    await Order.create([orderInput(1, { packageName: 'same' }), orderInput(2, { packageName: 'same' })]);
    const names = (await Order.listIndexes()).map((index: { name?: string }) => index.name);
    expect(names).toEqual(expect.arrayContaining(['_id_', 'orderRef_1']));
    const orderRefIndex = (await Order.listIndexes()).find((index: { name?: string }) => index.name === 'orderRef_1');
    expect(orderRefIndex).toMatchObject({ key: { orderRef: 1 }, unique: true });

    expect(await Order.collection.createIndex({ status: 1, createdAt: -1 })).toBe('status_1_createdAt_-1');
    expect(await Order.collection.createIndex({ status: 1, createdAt: -1 })).toBe('status_1_createdAt_-1');
    await expect(Order.collection.createIndex({ packageName: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    let listed = (await Order.collection.indexes()).map((index) => index.name);
    expect(listed).toContain('status_1_createdAt_-1');
    expect(listed).not.toContain('packageName_1');

    await Order.collection.dropIndex('status_1_createdAt_-1');
    listed = (await Order.collection.indexes()).map((index) => index.name);
    expect(listed).not.toContain('status_1_createdAt_-1');
  });

  it('answers an unknown command with CommandNotFound (59)', async () => {
    await expect(db().command({ nope: 1 })).rejects.toMatchObject({ code: 59, codeName: 'CommandNotFound' });
    expect(await db().command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('takes a raw driver insertMany of 1000 documents (document sequence)', async () => {
    const events = db().collection('raw_events');
    const result = await events.insertMany(Array.from({ length: 1000 }, (_, i) => ({ seq: i, kind: i % 2 ? 'odd' : 'even', at: new Date(1_700_000_000_000 + i) })));
    expect(result.insertedCount).toBe(1000);
    expect(await events.countDocuments({ kind: 'odd' })).toBe(500);
    expect(await events.countDocuments({}, { skip: 990, limit: 5 })).toBe(5);
    expect((await events.find({ seq: { $gte: 995 } }).sort({ seq: -1 }).toArray()).map((doc) => doc.seq)).toEqual([999, 998, 997, 996, 995]);
    await events.drop();
    const collections = await db().listCollections({ name: 'raw_events' }, { nameOnly: true }).toArray();
    expect(collections).toEqual([]);
  });
});

describe('embedded MongoDB (wire level)', () => {
  it('lets two separate connections (as two processes) see each other’s writes', async () => {
    const other = await openConnection();
    const OtherOrder = other.model<OrderFields>('Order', orderSchema);
    const created = await Order.create(orderInput(42));
    expect((await OtherOrder.findById(created._id).lean())?.orderRef).toBe('ORD-0042');

    // A worker process polls for the state another process writes.
    const seen = waitFor(async () => (await Order.findOne({ _id: created._id, status: 'active' }).lean()) ?? undefined);
    await OtherOrder.updateOne({ _id: created._id }, { $set: { status: 'active' }, $inc: { fencing: 1 } });
    expect((await seen).fencing).toBe(1);
  });

  it('closes only the connection that sent a malformed message', async () => {
    const { hostname, port } = new URL(env.mongoUrl);
    const socket = connectTcp({ host: hostname, port: Number(port) });
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    env.track({ close: () => socket.destroy() });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A message length below the 16-byte header is invalid framing.
    socket.write(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    await waitFor(() => closed, { message: 'server to close the malformed connection' });
    expect(await db().command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});

/**
 * MongoDB semantics through the official driver, raw (no mongoose casting); a second client does not
 * promote numbers, so BSON types are visible where a test looks at them. Every assertion holds on a real MongoDB 7.0 (MONGO_URL) as well, except the
 * ones marked stand-in only: those check that what the stand-in does not implement it refuses out loud.
 */
describe('embedded MongoDB (MongoDB semantics through the driver)', () => {
  const standInOnly = process.env.MONGO_URL ? it.skip : it;
  let raw: Db;
  let typed: Db;
  let collectionCounter = 0;

  beforeAll(async () => {
    raw = env.track(await MongoClient.connect(env.mongoUrl)).db();
    // Without promotion, int32, int64 and double arrive as Int32, Long and Double objects.
    typed = env.track(await MongoClient.connect(env.mongoUrl, { promoteValues: false })).db();
  });

  /** Test documents use small numbers as `_id`. */
  type Numbered = { _id: number } & Document;

  function freshCollection(): Collection<Numbered> {
    collectionCounter += 1;
    return raw.collection<Numbered>(`semantics_${collectionCounter}`);
  }

  /** The same collection, read without number promotion. */
  function typedView(collection: Collection<Numbered>): Collection<Numbered> {
    return typed.collection<Numbered>(collection.collectionName);
  }

  /** The server's error for a write, with its code and message. */
  async function writeError(write: Promise<unknown>): Promise<{ code: number; message: string }> {
    const error: unknown = await write.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof MongoServerError)) throw new Error(`expected a server error, got ${String(error)}`);
    return { code: Number(error.code), message: error.message };
  }

  function bsonType(value: unknown): string | undefined {
    return (value as { _bsontype?: string } | null)?._bsontype;
  }

  standInOnly('reports itself as a MongoDB 7.0 standalone', async () => {
    const build = await raw.admin().command({ buildInfo: 1 });
    expect(String(build.version)).toMatch(/^7\.0\./);
    expect(build.versionArray.slice(0, 2).map(Number)).toEqual([7, 0]);
    const hello = await raw.admin().command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true });
    expect(hello.setName).toBeUndefined();
    expect(hello.msg).toBeUndefined();
  });

  it('refuses an invalid update with MongoDB’s error code and changes nothing', async () => {
    const orders = freshCollection();
    const original = { _id: 1, missing: null, label: 'x', count: 5, list: [1] };
    await orders.insertOne(original);
    const cases: [Document, number, RegExp][] = [
      [{ $inc: { missing: 1 } }, 14, /non-numeric type null/],
      [{ $inc: { label: 1 } }, 14, /non-numeric type string/],
      [{ $push: { count: 1 } }, 2, /must be an array but is of type int/],
      [{ $set: { 'count.deep': 1 } }, 28, /Cannot create field 'deep'/],
      [{ $set: { count: 1 }, $inc: { count: 1 } }, 40, /would create a conflict at 'count'/],
      [{ $set: { label: 'changed' }, $inc: { label: 1 } }, 40, /conflict/],
      [{ $set: { fine: 1 }, $inc: { label: 1 } }, 14, /non-numeric/],
    ];
    for (const [update, code, message] of cases) {
      const error = await writeError(orders.updateOne({ _id: 1 }, update));
      expect({ update, code: error.code }).toEqual({ update, code });
      expect(error.message).toMatch(message);
      expect(await orders.findOne({ _id: 1 })).toEqual(original);
    }
  });

  it('keeps the documents an updateMany changed before the one that failed, as MongoDB does', async () => {
    const items = freshCollection();
    await items.insertMany([
      { _id: 1, n: new Int32(1) },
      { _id: 2, n: 'not a number' },
      { _id: 3, n: new Int32(3) },
    ]);
    expect((await writeError(items.updateMany({}, { $inc: { n: 1 } }))).code).toBe(14);
    expect((await items.find().sort({ _id: 1 }).toArray()).map((doc) => doc.n)).toEqual([2, 'not a number', 3]);

    const ordered = await items
      .bulkWrite([{ updateOne: { filter: { _id: 1 }, update: { $inc: { n: 1 } } } }, { updateOne: { filter: { _id: 2 }, update: { $inc: { n: 1 } } } }, { updateOne: { filter: { _id: 3 }, update: { $inc: { n: 1 } } } }])
      .catch((caught: unknown) => caught);
    expect(ordered).toMatchObject({ code: 14, result: { matchedCount: 1, modifiedCount: 1 } });
    expect((await items.find().sort({ _id: 1 }).toArray()).map((doc) => doc.n)).toEqual([3, 'not a number', 3]);

    const unordered = await items.bulkWrite([{ updateOne: { filter: { _id: 2 }, update: { $inc: { n: 1 } } } }, { updateOne: { filter: { _id: 3 }, update: { $inc: { n: 1 } } } }], { ordered: false }).catch((caught: unknown) => caught);
    expect(unordered).toMatchObject({ code: 14, result: { matchedCount: 1 } });
    expect((await items.findOne({ _id: 3 }))?.n).toBe(4);
  });

  it('keeps int32, int64 and double through a round trip and through $inc', async () => {
    const numbers = typedView(freshCollection());
    await numbers.insertOne({ _id: 1, int: new Int32(7), long: Long.fromNumber(7), double: new Double(7), fraction: new Double(2.5), edge: new Int32(2147483647), big: Long.MAX_VALUE });
    const stored = await numbers.findOne({ _id: 1 });
    expect([stored?.int, stored?.long, stored?.double, stored?.fraction].map(bsonType)).toEqual(['Int32', 'Long', 'Double', 'Double']);
    expect(stored?.double).toEqual(new Double(7));

    await numbers.updateOne({ _id: 1 }, { $inc: { int: new Int32(1), long: new Int32(1), double: new Int32(1), edge: new Int32(1) } });
    const after = await numbers.findOne({ _id: 1 });
    expect(after?.int).toEqual(new Int32(8));
    expect(after?.long).toEqual(Long.fromNumber(8));
    expect(after?.double).toEqual(new Double(8));
    // int32 overflow becomes int64, as in mongod.
    expect(after?.edge).toEqual(Long.fromNumber(2147483648));
    await numbers.updateOne({ _id: 1 }, { $inc: { int: new Double(0.5) }, $mul: { long: new Int32(2) } });
    const mixed = await numbers.findOne({ _id: 1 });
    expect(mixed?.int).toEqual(new Double(8.5));
    expect(mixed?.long).toEqual(Long.fromNumber(16));
    // int64 overflow is refused and changes nothing.
    expect((await writeError(numbers.updateOne({ _id: 1 }, { $inc: { big: new Int32(1), int: new Int32(1) } }))).code).toBe(2);
    expect((await numbers.findOne({ _id: 1 }))?.big).toEqual(Long.MAX_VALUE);
  });

  it('compares int64 values above 2^53 exactly', async () => {
    const longs = freshCollection();
    const base = 2n ** 53n;
    await longs.insertMany([0n, 1n, 2n, 3n].map((offset) => ({ _id: Number(offset), v: Long.fromBigInt(base + offset) })));
    const ids = async (filter: Document, sort: Document = { _id: 1 }) => (await longs.find(filter).sort(sort).toArray()).map((doc) => Number(doc._id));
    expect(await ids({ v: Long.fromBigInt(base + 1n) })).toEqual([1]);
    expect(await ids({ v: { $gt: Long.fromBigInt(base + 1n) } })).toEqual([2, 3]);
    expect(await ids({ v: { $lte: Long.fromBigInt(base + 2n) } })).toEqual([0, 1, 2]);
    expect(await ids({ v: { $in: [Long.fromBigInt(base + 3n)] } })).toEqual([3]);
    expect(await ids({}, { v: -1 })).toEqual([3, 2, 1, 0]);
    // 2^53 + 1 is not representable as a double: the double 2^53 equals only the first.
    expect(await ids({ v: new Double(2 ** 53) })).toEqual([0]);
  });

  it('rejects a hint that names no index, and honours one that does', async () => {
    const hinted = freshCollection();
    await hinted.insertMany([{ _id: 1, k: 1 }, { _id: 2, k: 2 }]);
    await hinted.createIndex({ k: 1 });
    expect((await hinted.find({ k: 2 }, { hint: { k: 1 } }).toArray()).map((doc) => doc._id)).toEqual([2]);
    expect((await writeError(hinted.find({}, { hint: 'no_such_index' }).toArray())).code).toBe(2);
    expect((await writeError(hinted.updateOne({ k: 1 }, { $set: { x: 1 } }, { hint: { nope: 1 } }))).code).toBe(2);
    expect(await hinted.findOne({ _id: 1 })).toEqual({ _id: 1, k: 1 });
  });

  standInOnly('refuses what it does not implement, saying so, instead of ignoring it', async () => {
    const refused = freshCollection();
    await refused.insertOne({ _id: 1, name: 'a' });
    await refused.createIndex({ sparseField: 1 }, { sparse: true });
    const attempts: [string, Promise<unknown>][] = [
      ['collation strength 4', refused.find({ name: 'A' }, { collation: { locale: 'en', strength: 4 } }).toArray()],
      ['$group under a collation', refused.aggregate([{ $group: { _id: '$name' } }], { collation: { locale: 'en', strength: 2 } }).toArray()],
      ['sort on updateOne (8.0)', refused.updateOne({}, { $set: { x: 1 } }, { sort: { _id: 1 } } as Document)],
      ['hint on a sparse index', refused.find({}, { hint: { sparseField: 1 } }).toArray()],
      ['tailable cursors', refused.find({}, { tailable: true }).toArray()],
      ['capped collections', raw.createCollection(`capped_${collectionCounter}`, { capped: true, size: 4096 })],
      ['$jsonSchema validators', raw.createCollection(`schema_${collectionCounter}`, { validator: { $jsonSchema: { required: ['a'] } } })],
      ['views', raw.createCollection(`view_${collectionCounter}`, { viewOn: refused.collectionName, pipeline: [] })],
    ];
    for (const [label, attempt] of attempts) {
      const error = await writeError(attempt);
      expect({ label, code: [2, 115].includes(error.code) }).toEqual({ label, code: true });
      expect(error.message).toMatch(/not supported by the embedded MongoDB dev server/);
    }
    expect(await refused.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'a' });
  });

  it('honours a collation for matching, counting and sorting', async () => {
    const names = freshCollection();
    await names.insertMany([{ _id: 1, name: 'ping' }, { _id: 2, name: 'PING' }, { _id: 3, name: 'pong' }]);
    const caseInsensitive = { locale: 'en_US', strength: 2 };
    expect(await names.countDocuments({ name: 'Ping' }, { collation: caseInsensitive })).toBe(2);
    expect(await names.countDocuments({ name: 'Ping' })).toBe(0);
    const updated = await names.updateMany({ name: 'PING' }, { $set: { seen: true } }, { collation: caseInsensitive });
    expect(updated.modifiedCount).toBe(2);
    const sorted = await names.find({}, { collation: { locale: 'en', caseFirst: 'upper' } }).sort({ name: 1, _id: 1 }).toArray();
    expect(sorted.map((doc) => doc.name)).toEqual(['PING', 'ping', 'pong']);
  });

  it('projects with $slice and the positional $ as MongoDB does, keeping the stored field order', async () => {
    const shaped = freshCollection();
    await shaped.insertOne({ _id: 1, zeta: 1, alpha: { keep: 1, drop: 2 }, items: [{ k: 1 }, { k: 2, v: 'b' }, { k: 2 }], tags: ['p', 'q', 'r'] });
    const included = await shaped.findOne({ _id: 1 }, { projection: { tags: 1, zeta: 1, 'alpha.keep': 1 } });
    expect(Object.keys(included ?? {})).toEqual(['_id', 'zeta', 'alpha', 'tags']);
    expect(included?.alpha).toEqual({ keep: 1 });
    // $slice alone keeps every other field.
    expect(await shaped.findOne({ _id: 1 }, { projection: { tags: { $slice: -2 }, items: 0 } })).toEqual({ _id: 1, zeta: 1, alpha: { keep: 1, drop: 2 }, tags: ['q', 'r'] });
    expect(await shaped.findOne({ 'items.k': 2 }, { projection: { 'items.$': 1 } })).toEqual({ _id: 1, items: [{ k: 2, v: 'b' }] });
  });

  it('never returns a document deleted before the getMore, nor an updated one in its old form', async () => {
    const pages = freshCollection();
    await pages.insertMany(Array.from({ length: 6 }, (_, i) => ({ _id: i + 1, version: 'original' })));
    const cursor = pages.find({}, { batchSize: 2 });
    const firstBatch = [await cursor.next(), await cursor.next()].map((doc) => doc?._id);
    expect(firstBatch).toEqual([1, 2]);
    await pages.deleteOne({ _id: 3 });
    await pages.updateOne({ _id: 4 }, { $set: { version: 'updated' } });
    const rest = await cursor.toArray();
    expect(rest.map((doc) => [doc._id, doc.version])).toEqual([
      [4, 'updated'],
      [5, 'original'],
      [6, 'original'],
    ]);
  });

  it('enforces a validator set with collMod (code 121) unless validation is bypassed', async () => {
    const validated = freshCollection();
    await validated.insertOne({ _id: 1, x: 'text' });
    await raw.command({ collMod: validated.collectionName, validator: { x: { $type: 'string' } } });
    const error: unknown = await validated.updateOne({ _id: 1 }, { $set: { x: 1 } }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 121, errInfo: { failingDocumentId: 1 } });
    expect(await validated.findOne({ _id: 1 })).toEqual({ _id: 1, x: 'text' });
    await validated.updateOne({ _id: 1 }, { $set: { x: 1 } }, { bypassDocumentValidation: true });
    expect((await validated.findOne({ _id: 1 }))?.x).toBe(1);
  });
});
