import { calculateObjectSize, Long } from 'bson';
import type { Doc } from './documents';
import { CommandError } from './errors';

/** mongod's default first batch; later batches are bounded by size only. */
export const DEFAULT_FIRST_BATCH = 101;
/** Room for the reply envelope around a batch within the 16 MiB BSON limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;
/** mongod's cursorTimeoutMillis default. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  ns: string;
  docs: Doc[];
  position: number;
  lastUsed: number;
}

export interface BatchResult {
  /** Long(0) once the results are exhausted (or the client asked for a single batch). */
  id: Long;
  batch: Doc[];
}

/**
 * Server-side cursors. Results are materialised when the cursor opens: stored documents are never
 * mutated (writes swap in copies), so holding references is a consistent snapshot and costs no copies.
 * Cursors are server-wide, not per connection, because the driver may send getMore on any pooled socket.
 */
export class CursorRegistry {
  private readonly cursors = new Map<number, OpenCursor>();
  // A random start keeps ids from different server runs apart (helps when reading logs).
  private nextId = 1 + Math.floor(Math.random() * 1_000_000_000);

  open(ns: string, docs: Doc[], options: { batchSize?: number; singleBatch?: boolean } = {}): BatchResult {
    this.pruneIdle(Date.now());
    const batch = takeBatch(docs, 0, options.batchSize ?? DEFAULT_FIRST_BATCH);
    if (options.singleBatch || batch.length >= docs.length) return { id: Long.ZERO, batch };
    const id = this.nextId++;
    this.cursors.set(id, { ns, docs, position: batch.length, lastUsed: Date.now() });
    return { id: Long.fromNumber(id), batch };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): BatchResult {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.ns !== ns) {
      throw new CommandError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    const batch = takeBatch(cursor.docs, cursor.position, batchSize && batchSize > 0 ? batchSize : Infinity);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
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

/** Up to `count` documents from `start`, stopping early so the reply stays under the BSON size limit. */
function takeBatch(docs: Doc[], start: number, count: number): Doc[] {
  const end = Math.min(docs.length, start + count);
  let bytes = 0;
  let stop = start;
  while (stop < end) {
    const doc = docs[stop] as Doc;
    bytes += calculateObjectSize(doc, { ignoreUndefined: true }) + 16;
    if (bytes > MAX_BATCH_BYTES && stop > start) break;
    stop += 1;
  }
  return docs.slice(start, stop);
}
