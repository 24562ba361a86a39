import { Schema, Types, type Connection, type Model, type QueryFilter } from 'mongoose';
import type { Logger } from 'pino';

/** Who acts: an admin's name, `app` (the web app's token), `payment` (webhooks), `sweeper`, or `unknown` (failed sign-ins). */
export type Actor = string;

export const AUDIT_ACTIONS = ['provision', 'provision_bulk', 'retry_now', 'credentials_reveal', 'payment', 'recover', 'mark_stalled', 'sign_in', 'sign_in_failed'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One entry of the operators' audit log. */
export interface AuditEvent {
  at: Date;
  actor: Actor;
  action: AuditAction;
  orderId?: string | null;
  /** What came of it: `queued`, `in_progress`, `revealed`, `refused`… */
  outcome: string;
  details?: Record<string, unknown> | null;
}

export interface StoredAuditEvent extends AuditEvent {
  _id: Types.ObjectId;
}

export type AuditEventModel = Model<AuditEvent>;

const auditEventSchema = new Schema<AuditEvent>(
  {
    at: { type: Date, required: true },
    actor: { type: String, required: true },
    action: { type: String, enum: AUDIT_ACTIONS, required: true },
    orderId: { type: String, default: null },
    outcome: { type: String, required: true },
    details: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'audit_events', versionKey: false },
);

// Newest first, optionally by order, actor or action (the filters of GET /api/audit).
auditEventSchema.index({ orderId: 1, _id: -1 });
auditEventSchema.index({ actor: 1, _id: -1 });
auditEventSchema.index({ action: 1, _id: -1 });

export function auditEventModel(connection: Connection): AuditEventModel {
  return (connection.models.AuditEvent as AuditEventModel | undefined) ?? connection.model<AuditEvent>('AuditEvent', auditEventSchema);
}

/** An entry to record; `at` defaults to now, `id` to a new one. */
export type AuditInput = Omit<AuditEvent, 'at'> & { at?: Date; id?: string };

export interface AuditQuery {
  orderId?: string;
  actor?: string;
  action?: AuditAction;
  /** The `_id` (hex) of the last entry of the previous page. */
  before?: string;
  limit: number;
}

/** The audit log: who did what, to which order, with what outcome, and when. */
export interface AuditLog {
  /**
   * Records an entry; `at` defaults to now. Never throws: the action it describes already happened,
   * and a failed write is logged as an error instead. Resolves to the entry's id (null if not written).
   */
  record(event: AuditInput): Promise<string | null>;
  /** Records several entries in one write (a bulk action's per-order entries); never throws. */
  recordMany(events: AuditInput[]): Promise<void>;
  /** An id to give an entry before it is written, so that others can point to it. */
  newId(): string;
  /** Resolves once every entry recorded so far is written (before shutdown). */
  flush(): Promise<void>;
  /** Newest first; one more than `limit` tells whether another page exists. */
  list(query: AuditQuery): Promise<StoredAuditEvent[]>;
}

/** The document as stored: every field present, so entries read back alike whoever wrote them. */
function toDocument({ id, at, ...event }: AuditInput): AuditEvent & { _id: Types.ObjectId } {
  return {
    _id: id ? new Types.ObjectId(id) : new Types.ObjectId(),
    at: at ?? new Date(),
    actor: event.actor,
    action: event.action,
    orderId: event.orderId ?? null,
    outcome: event.outcome,
    details: event.details ?? null,
  };
}

/** Entries written in one insert at most. */
const MAX_BATCH = 500;

/**
 * The audit log over MongoDB. Entries are written in groups: while one insert is on its way, the
 * entries recorded meanwhile go together in the next (a group commit), so a busy API writes one insert
 * per round trip instead of one per request, and an idle one writes at once. Each `record` resolves only
 * once its entry is written, so callers answer after it (a reveal, a Retry). Inserted through the driver:
 * the entries are built and checked here, by type.
 */
export function createAuditLog(model: AuditEventModel, logger: Logger): AuditLog {
  let pending: { doc: AuditEvent & { _id: Types.ObjectId }; done: (written: boolean) => void }[] = [];
  let writing: Promise<void> | null = null;

  function start(): Promise<void> {
    writing ??= drain().finally(() => {
      writing = null;
      // Recorded between the last insert's end and now: they make the next group.
      if (pending.length > 0) void start();
    });
    return writing;
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH);
      pending = pending.slice(batch.length);
      let written = true;
      try {
        // One entry (an idle API) goes without the driver's bulk machinery.
        const [only] = batch;
        if (batch.length === 1 && only) await model.collection.insertOne(only.doc);
        else await model.collection.insertMany(batch.map((entry) => entry.doc), { ordered: false });
      } catch (error) {
        written = false;
        logger.error({ err: error, entries: batch.length }, 'could not write audit entries');
      }
      for (const entry of batch) entry.done(written);
    }
  }

  function write(docs: (AuditEvent & { _id: Types.ObjectId })[]): Promise<boolean[]> {
    const results = docs.map((doc) => new Promise<boolean>((done) => pending.push({ doc, done })));
    // An insert under way takes the newcomers along when it is done; otherwise they go now.
    if (!writing) void start();
    return Promise.all(results);
  }

  return {
    async record(event) {
      const doc = toDocument(event);
      const [written] = await write([doc]);
      return written ? doc._id.toHexString() : null;
    },
    async recordMany(events) {
      if (events.length > 0) await write(events.map(toDocument));
    },
    newId: () => new Types.ObjectId().toHexString(),
    async flush() {
      while (pending.length > 0 || writing) await start();
    },
    list(query) {
      const filter: QueryFilter<AuditEvent> = {};
      if (query.orderId) filter.orderId = query.orderId;
      if (query.actor) filter.actor = query.actor;
      if (query.action) filter.action = query.action;
      const page: QueryFilter<AuditEvent> = query.before ? { ...filter, _id: { $lt: new Types.ObjectId(query.before) } } : filter;
      return model.find(page).sort({ _id: -1 }).limit(query.limit + 1).lean<StoredAuditEvent[]>();
    },
  };
}
