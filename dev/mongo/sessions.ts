import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import { canonicalKey, isPlainObject, type Doc } from './documents';

/** SHA-256 of the (empty) user name: a server without auth gives every session this `uid`. */
const NO_USER_UID = new Binary(createHash('sha256').update('').digest());

/**
 * mongod's logical session cache, as far as `$listLocalSessions` shows it: every `lsid` a command
 * carries, with its last use, until `endSessions`. Sessions have no other effect here (no
 * transactions, no retryable-write bookkeeping).
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, { id: unknown; lastUse: Date }>();

  touch(lsid: unknown): void {
    if (!isPlainObject(lsid) || lsid.id === undefined) return;
    this.sessions.set(canonicalKey(lsid.id), { id: lsid.id, lastUse: new Date() });
  }

  end(lsids: unknown): void {
    if (!Array.isArray(lsids)) return;
    for (const lsid of lsids) if (isPlainObject(lsid)) this.sessions.delete(canonicalKey(lsid.id));
  }

  /** The documents `$listLocalSessions` returns. */
  list(): Doc[] {
    return [...this.sessions.values()].map((session) => ({ _id: { id: session.id, uid: NO_USER_UID }, lastUse: session.lastUse }));
  }

  clear(): void {
    this.sessions.clear();
  }
}
