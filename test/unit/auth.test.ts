import {
  ADMIN_SESSION_TTL_MS,
  createSessionValue,
  FailedAuthLimiter,
  identify,
  sessionAdmin,
} from '../../src/api/auth';

const alice = { name: 'alice', token: 'alice-token-0123456789abcdef' };
const bob = { name: 'bob', token: 'bob-token-0123456789abcdefgh' };
const admins = [alice, bob];

describe('who a token belongs to', () => {
  it('names the admin, or the app, or nobody', () => {
    expect(identify(alice.token, { admins })).toEqual({ kind: 'admin', name: 'alice' });
    expect(identify(bob.token, { admins, appToken: 'app-token-0123456789abcdef' })).toEqual({ kind: 'admin', name: 'bob' });
    expect(identify('app-token-0123456789abcdef', { admins, appToken: 'app-token-0123456789abcdef' })).toEqual({ kind: 'app' });
    expect(identify('app-token-0123456789abcdef', { admins })).toBeNull();
    expect(identify(`${alice.token}x`, { admins })).toBeNull();
    expect(identify('', { admins })).toBeNull();
  });

});

describe('admin session cookie values', () => {
  it('name the admin, hold no token, expire, and stop working when that admin’s token rotates', () => {
    const now = Date.now();
    const value = createSessionValue(alice, now);
    expect(value).toMatch(/^v2\.alice\.\d+\./);
    expect(value).not.toContain(alice.token);
    expect(sessionAdmin(value, admins, now)).toBe(alice);
    expect(sessionAdmin(value, admins, now + ADMIN_SESSION_TTL_MS + 1_000)).toBeNull();
    expect(sessionAdmin(value, [{ ...alice, token: `${alice.token}-rotated` }, bob], now)).toBeNull();
    // Bob's sessions are not Alice's: the name is signed.
    expect(sessionAdmin(value.replace('v2.alice.', 'v2.bob.'), admins, now)).toBeNull();
    expect(sessionAdmin('', admins, now)).toBeNull();
  });

  it('refuse an expiry beyond the promised 12 hours, even correctly signed', () => {
    const now = Date.now();
    // Made "in the future" (as by a key that leaked into a mint): valid for 24 h from now.
    const tooLong = createSessionValue(alice, now + ADMIN_SESSION_TTL_MS);
    expect(sessionAdmin(tooLong, admins, now)).toBeNull();
    // A later expiry with the old signature is refused too (the expiry is signed).
    const [, name, expiry, mac] = createSessionValue(alice, now).split('.');
    expect(sessionAdmin(`v2.${name}.${Number(expiry) + 60}.${mac}`, admins, now)).toBeNull();
  });
});

describe('failed authentication per client address', () => {
  it('allows ten failures a minute, then refuses until the window ends; audits only the first few', () => {
    let now = 1_000_000;
    const limiter = new FailedAuthLimiter(() => now);
    const audited = Array.from({ length: 10 }, () => limiter.recordFailure('10.0.0.1').audit);
    expect(audited.filter(Boolean)).toHaveLength(3);
    expect(limiter.blockedForMs('10.0.0.1')).toBe(60_000);
    expect(limiter.blockedForMs('10.0.0.2')).toBe(0);
    now += 59_000;
    expect(limiter.blockedForMs('10.0.0.1')).toBe(1_000);
    now += 1_000;
    expect(limiter.blockedForMs('10.0.0.1')).toBe(0);
    expect(limiter.recordFailure('10.0.0.1').audit).toBe(true);
  });
});
