import { deserialize, serialize } from 'bson';
import type { Doc } from './documents';

/** Wire protocol limits advertised in hello (same as mongod). */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_BYTES = 48_000_000;

const HEADER_BYTES = 16;
export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

/** OP_MSG flag bits. The low 16 are "required": a bit we do not know there must fail the message. */
const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;
const KNOWN_REQUIRED_FLAGS = CHECKSUM_PRESENT | MORE_TO_COME;

/**
 * Numbers stay as their BSON types (Int32, Long, Double objects) rather than JS numbers, so a document
 * stored with an int64 or an integral double comes back as one. values.ts compares them by value.
 */
const DESERIALIZE_OPTIONS = { promoteValues: false } as const;

/** A message that cannot be parsed: the connection it came on is closed (as mongod does). */
export class ProtocolError extends Error {}

export interface MsgRequest {
  kind: 'msg';
  requestId: number;
  /** The client expects no reply (unacknowledged write). */
  moreToCome: boolean;
  /** Body with each kind-1 document sequence merged in under its identifier. */
  command: Doc;
}

export interface QueryRequest {
  kind: 'query';
  requestId: number;
  /** `admin.$cmd` for the legacy handshake. */
  collection: string;
  command: Doc;
}

export type WireRequest = MsgRequest | QueryRequest;

/**
 * Splits a TCP byte stream into whole messages. Chunks are kept in a list and joined only once a message
 * is complete, so a 48 MB insert arriving in 64 KB pieces is copied once, not hundreds of times.
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    for (;;) {
      const length = this.peekLength();
      if (length === undefined || this.buffered < length) return messages;
      const all = this.joined();
      messages.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  private joined(): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  private peekLength(): number | undefined {
    if (this.buffered < 4) return undefined;
    const length = this.joinedHead().readInt32LE(0);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`);
    return length;
  }

  /** The first chunk, merged with the next ones when it holds fewer than 4 bytes. */
  private joinedHead(): Buffer {
    const first = this.chunks[0] as Buffer;
    return first.length >= 4 ? first : this.joined();
  }
}

function readDocument(message: Buffer, offset: number, end: number): { doc: Doc; next: number } {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError(`invalid BSON document size ${size}`);
  try {
    return { doc: deserialize(message.subarray(offset, offset + size), DESERIALIZE_OPTIONS), next: offset + size };
  } catch (error) {
    throw new ProtocolError(`invalid BSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readCString(message: Buffer, offset: number, end: number): { value: string; next: number } {
  const terminator = message.indexOf(0, offset);
  if (terminator < 0 || terminator >= end) throw new ProtocolError('unterminated cstring');
  return { value: message.toString('utf8', offset, terminator), next: terminator + 1 };
}

/** OP_MSG: flagBits, then one kind-0 body and any number of kind-1 document sequences. */
function decodeOpMsg(message: Buffer, requestId: number): MsgRequest {
  const flags = message.readUInt32LE(HEADER_BYTES);
  if (flags & 0xffff & ~KNOWN_REQUIRED_FLAGS) throw new ProtocolError(`unknown required OP_MSG flags ${flags}`);
  // The CRC-32C trailer is skipped, not verified (TCP already checksums loopback traffic).
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_BYTES + 4;
  let body: Doc | undefined;
  const sequences: [string, Doc[]][] = [];
  while (offset < end) {
    const kind = message[offset];
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG with more than one body section');
      const read = readDocument(message, offset, end);
      body = read.doc;
      offset = read.next;
    } else if (kind === 1) {
      const read = readSequence(message, offset, end);
      sequences.push([read.identifier, read.docs]);
      offset = read.next;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) body[identifier] = docs;
  return { kind: 'msg', requestId, moreToCome: (flags & MORE_TO_COME) !== 0, command: body };
}

function readSequence(message: Buffer, offset: number, end: number): { identifier: string; docs: Doc[]; next: number } {
  if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
  const size = message.readInt32LE(offset);
  const sequenceEnd = offset + size;
  if (size < 5 || sequenceEnd > end) throw new ProtocolError(`invalid document sequence size ${size}`);
  const name = readCString(message, offset + 4, sequenceEnd);
  const docs: Doc[] = [];
  let cursor = name.next;
  while (cursor < sequenceEnd) {
    const read = readDocument(message, cursor, sequenceEnd);
    docs.push(read.doc);
    cursor = read.next;
  }
  return { identifier: name.value, docs, next: sequenceEnd };
}

/** OP_QUERY (legacy, handshake only): flags, fullCollectionName, skip, return, query[, fields]. */
function decodeOpQuery(message: Buffer, requestId: number): QueryRequest {
  const name = readCString(message, HEADER_BYTES + 4, message.length);
  const read = readDocument(message, name.next + 8, message.length);
  const wrapped = read.doc.$query;
  const command = wrapped !== null && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as Doc) : read.doc;
  return { kind: 'query', requestId, collection: name.value, command };
}

export function decodeMessage(message: Buffer): WireRequest {
  if (message.length < HEADER_BYTES + 4) throw new ProtocolError('message shorter than its header');
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(message, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(message, requestId);
  // OP_COMPRESSED is never negotiated (hello advertises no compressors); anything else is not a client op.
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}

export function serializeReply(doc: Doc): Uint8Array {
  return serialize(doc, { ignoreUndefined: true });
}

/** OP_MSG reply: flagBits 0 and a single kind-0 section. */
export function encodeMsgReply(requestId: number, responseTo: number, body: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  const length = HEADER_BYTES + prefix.length + body.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), prefix, body]);
}

/** OP_REPLY (answer to OP_QUERY): flags, cursorId 0, startingFrom 0, numberReturned 1, the document. */
export function encodeOpReply(requestId: number, responseTo: number, body: Uint8Array): Buffer {
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(1, 16);
  const length = HEADER_BYTES + fields.length + body.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, body]);
}
