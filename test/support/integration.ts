import { randomBytes } from 'node:crypto';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../dev/embedded-redis';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../dev/mongo';
import { waitFor } from './wait-for';

export interface Closeable {
  close(): Promise<unknown> | unknown;
}

export interface IntegrationEnv {
  /** Redis URL of this file's private redis-server. */
  readonly redisUrl: string;
  /** MongoDB URL (with a database unique to this file): the embedded server, or MONGO_URL's server. */
  readonly mongoUrl: string;
  readonly redis: EmbeddedRedis;
  /** Registers something to close after the file, before the leak check (closed last-in, first-out). */
  track<T extends Closeable>(resource: T): T;
  /** A name unique to this run, for queues and prefixes. */
  uniqueName(label?: string): string;
}

/** Handles that mean a socket, server or child process is still open. */
const LEAKABLE = new Set(['TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap', 'PipeWrap']);

function openHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (LEAKABLE.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function leaksSince(baseline: Map<string, number>): string[] {
  const leaks: string[] = [];
  for (const [kind, count] of openHandles()) {
    const extra = count - (baseline.get(kind) ?? 0);
    if (extra > 0) leaks.push(`${extra} × ${kind}`);
  }
  return leaks;
}

/**
 * Per test file: a private redis-server and a fresh MongoDB database (embedded, or a real one when
 * MONGO_URL is set). Everything tracked is closed after the file, and the file fails if a socket,
 * server or child process is left open.
 */
export function useIntegrationEnv(options: { mongo?: boolean; redis?: boolean } = {}): IntegrationEnv {
  const wantMongo = options.mongo ?? true;
  const wantRedis = options.redis ?? true;
  const resources: Closeable[] = [];
  let redis: EmbeddedRedis | undefined;
  let mongo: EmbeddedMongo | undefined;
  let mongoUrl: string | undefined;
  let baseline = new Map<string, number>();
  const runId = randomBytes(4).toString('hex');
  let counter = 0;

  beforeAll(async () => {
    baseline = openHandles();
    const [startedRedis, startedMongoUrl] = await Promise.all([
      wantRedis ? startEmbeddedRedis() : Promise.resolve(undefined),
      wantMongo ? resolveMongoUrl() : Promise.resolve(undefined),
    ]);
    redis = startedRedis;
    mongoUrl = startedMongoUrl;
  }, 60_000);

  async function resolveMongoUrl(): Promise<string> {
    const dbName = `vps_test_${runId}`;
    const external = process.env.MONGO_URL;
    if (external) {
      const parsed = new URL(external);
      parsed.pathname = `/${dbName}`;
      return parsed.toString();
    }
    mongo = await startEmbeddedMongo();
    return `${mongo.uri.replace(/\/[^/]*$/, '')}/${dbName}`;
  }

  afterAll(async () => {
    for (const resource of resources.reverse()) await resource.close();
    if (process.env.MONGO_URL && mongoUrl) {
      // A real server keeps its data: drop this file's database.
      const { default: mongoose } = await import('mongoose');
      const connection = await mongoose.createConnection(mongoUrl).asPromise();
      await connection.dropDatabase();
      await connection.close();
    }
    await mongo?.stop();
    await redis?.stop();
    await waitFor(() => leaksSince(baseline).length === 0, { timeoutMs: 5_000 }).catch(() => {
      throw new Error(`Test file left open handles: ${leaksSince(baseline).join(', ')}`);
    });
  }, 60_000);

  return {
    get redisUrl() {
      if (!redis) throw new Error('Redis is not started (useIntegrationEnv({ redis: true }))');
      return redis.url;
    },
    get redis() {
      if (!redis) throw new Error('Redis is not started (useIntegrationEnv({ redis: true }))');
      return redis;
    },
    get mongoUrl() {
      if (!mongoUrl) throw new Error('MongoDB is not started (useIntegrationEnv({ mongo: true }))');
      return mongoUrl;
    },
    track(resource) {
      resources.push(resource);
      return resource;
    },
    uniqueName(label = 'q') {
      counter += 1;
      return `${label}-${runId}-${counter}`;
    },
  };
}
