import { calculateObjectSize, Long } from 'bson';
import type { Doc } from './documents';
import { CommandError } from './errors';

/** mongod's default first batch; later batches are bounded by size only. */
export const DEFAULT_FIRST_BATCH = 101;
/** Room for the reply envelope around a batch within the 16 MiB BSON limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;
/** mongod's cursorTimeoutMillis default. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Turns a result the cursor holds into what the client receives when its batch is served: a find cursor
 * re-reads the document by `_id` (undefined once deleted or no longer matching) and projects it, so a
 * getMore never hands out a document as it was when the query ran.
 */
export type ServeDocument = (doc: Doc) => Doc | undefined;

interface OpenCursor {
  ns: string;
  docs: Doc[];
  position: number;
  lastUsed: number;
  serve: ServeDocument | undefined;
}

export interface BatchResult {
  /** Long(0) once the results are exhausted (or the client asked for a single batch). */
  id: Long;
  batch: Doc[];
}

export interface OpenOptions {
  batchSize?: number;
  singleBatch?: boolean;
  serve?: ServeDocument;
}

/**
 * Server-side cursors. Cursors are server-wide, not per connection, because the driver may send getMore
 * on any pooled socket.
 */
export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();
  // A random start keeps ids from different server runs apart (helps when reading logs).
  private nextId = 1 + Math.floor(Math.random() * 1_000_000_000);

  open(ns: string, docs: Doc[], options: OpenOptions = {}): BatchResult {
    this.pruneIdle(Date.now());
    const cursor: OpenCursor = { ns, docs, position: 0, lastUsed: Date.now(), serve: options.serve };
    const batch = takeBatch(cursor, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (options.singleBatch || cursor.position >= docs.length) return { id: Long.ZERO, batch };
    const id = this.nextId++;
    this.cursors.set(id, cursor);
    return { id: Long.fromNumber(id), batch };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): BatchResult {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.ns !== ns) {
      throw new CommandError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    cursor.lastUsed = Date.now();
    let batch: Doc[];
    try {
      batch = takeBatch(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    } catch (error) {
      this.cursors.delete(id);
      throw error;
    }
    if (cursor.position < cursor.docs.length) return { id: Long.fromNumber(id), batch };
    this.cursors.delete(id);
    return { id: Long.ZERO, batch };
  }

  kill(ids: number[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id) ? killed : notFound).push(Long.fromNumber(id));
    return { killed, notFound };
  }

  clear(): void {
    this.cursors.clear();
  }

  private pruneIdle(now: number): void {
    for (const [id, cursor] of this.cursors) if (now - cursor.lastUsed > IDLE_TIMEOUT_MS) this.cursors.delete(id);
  }
}

/**
 * Up to `count` documents from the cursor's position, served as they are now, stopping early so the reply
 * stays under the BSON size limit. Results that no longer exist are passed over.
 */
function takeBatch(cursor: OpenCursor, count: number): Doc[] {
  const batch: Doc[] = [];
  let bytes = 0;
  while (batch.length < count && cursor.position < cursor.docs.length) {
    const held = cursor.docs[cursor.position] as Doc;
    const doc = cursor.serve ? cursor.serve(held) : held;
    if (doc === undefined) {
      cursor.position += 1;
      continue;
    }
    const size = calculateObjectSize(doc, { ignoreUndefined: true }) + 16;
    if (bytes + size > MAX_BATCH_BYTES && batch.length > 0) break;
    bytes += size;
    batch.push(doc);
    cursor.position += 1;
  }
  return batch;
}
