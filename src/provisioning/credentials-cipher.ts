import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ServerCredentials } from '../providers/types';

const VERSION = 'v1';

/**
 * Encrypts server credentials for storage (AES-256-GCM, random 96-bit IV, authenticated). The result
 * is `v1.<iv>.<tag>.<ciphertext>` in base64url; the order id is bound as associated data, so a blob
 * copied onto another order does not decrypt.
 */
export function encryptCredentials(credentials: ServerCredentials, key: Buffer, orderId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(orderId));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptCredentials(blob: string, key: Buffer, orderId: string): ServerCredentials {
  const [version, iv, tag, ciphertext] = blob.split('.');
  if (version !== VERSION || !iv || !tag || !ciphertext) throw new Error('Unrecognised credentials format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(orderId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  return JSON.parse(plaintext.toString('utf8')) as ServerCredentials;
}
