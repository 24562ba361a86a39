import { randomBytes } from 'node:crypto';
import { decryptCredentials, encryptCredentials } from '../../src/provisioning/credentials-cipher';

describe('credentials cipher', () => {
  const key = randomBytes(32);
  const credentials = { username: 'root', password: 's3cret-P@ss' };

  it('round-trips and never shows the password in the stored form', () => {
    const blob = encryptCredentials(credentials, key, 'order-1');
    expect(blob).not.toContain('s3cret');
    expect(decryptCredentials(blob, key, 'order-1')).toEqual(credentials);
  });

  it('uses a fresh IV each time', () => {
    expect(encryptCredentials(credentials, key, 'order-1')).not.toBe(encryptCredentials(credentials, key, 'order-1'));
  });

  it('refuses another key, another order, or a tampered blob', () => {
    const blob = encryptCredentials(credentials, key, 'order-1');
    expect(() => decryptCredentials(blob, randomBytes(32), 'order-1')).toThrow();
    expect(() => decryptCredentials(blob, key, 'order-2')).toThrow();
    const parts = blob.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptCredentials(parts.join('.'), key, 'order-1')).toThrow();
  });
});
