import { ConfigError, DEV_DEFAULTS, loadConfig } from '../../src/config';

const productionEnv = {
  NODE_ENV: 'production',
  MONGO_URL: 'mongodb://mongo:27017/vps',
  REDIS_URL: 'redis://redis:6379',
  ADMIN_TOKEN: 'a-long-enough-admin-token-for-production-use',
  WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
  CREDENTIALS_KEY: 'ab'.repeat(32),
  SMARTVPS_API_URL: 'https://api.smartvps.example',
  SMARTVPS_API_KEY: 'sv-key',
  HOSTYCARE_API_URL: 'https://api.hostycare.example',
  HOSTYCARE_API_KEY: 'hc-key',
};

describe('loadConfig', () => {
  it('gives the documented defaults in development', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.worker).toMatchObject({
      concurrency: 50,
      attempts: 4,
      backoffMs: [60_000, 180_000, 300_000],
      lockTtlMs: 30_000,
      lockMaxWaitMs: 900_000,
      stuckAfterMs: 600_000,
      sweepIntervalMs: 60_000,
    });
    expect(config.queuePrefix).toBe('{vps}');
    expect(config.admins).toEqual([{ name: 'admin', token: DEV_DEFAULTS.ADMIN_TOKEN }]);
    expect(config.usesDevelopmentSecrets).toBe(true);
    expect(config.credentialsKey).toHaveLength(32);
  });

  it('parses lists and numbers, and points both providers at SIMULATOR_URL', () => {
    const config = loadConfig({ NODE_ENV: 'development', PROVISION_BACKOFF_MS: '100, 200', WORKER_CONCURRENCY: '3', SIMULATOR_URL: 'http://127.0.0.1:4010/' });
    expect(config.worker.backoffMs).toEqual([100, 200]);
    expect(config.worker.concurrency).toBe(3);
    expect(config.providers.smartvps.url).toBe('http://127.0.0.1:4010/smartvps');
    expect(config.providers.hostycare.url).toBe('http://127.0.0.1:4010/hostycare');
  });

  it.each([
    ['WORKER_CONCURRENCY', 'lots'],
    ['PROVISION_BACKOFF_MS', '60000,-1'],
    ['REDIS_URL', 'localhost:6379'],
    ['CREDENTIALS_KEY', 'too-short'],
    ['WEBHOOK_SECRET', 'plain-secret'],
    ['PORT', '70000'],
  ])('rejects a bad %s with a message naming it', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'development', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'development', [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses production without its required variables, naming them', () => {
    const { ADMIN_TOKEN: _a, CREDENTIALS_KEY: _c, ...partial } = productionEnv;
    expect(() => loadConfig(partial)).toThrow(/ADMIN_TOKENS \(or ADMIN_TOKEN\), CREDENTIALS_KEY/);
    const { MONGO_URL: _m, ...noMongo } = productionEnv;
    expect(() => loadConfig(noMongo)).toThrow(/Missing required configuration for production: MONGO_URL/);
    expect(loadConfig(productionEnv).isProduction).toBe(true);
  });

  it('refuses a package lock TTL that a buy and its grace could outlast', () => {
    const dev = { NODE_ENV: 'development' };
    expect(() => loadConfig({ ...dev, LOCK_TTL_MS: '20000', PROVIDER_TIMEOUT_MS: '15000', BUY_GRACE_MS: '10000' })).toThrow(/LOCK_TTL_MS: must exceed PROVIDER_TIMEOUT_MS \+ BUY_GRACE_MS/);
    expect(loadConfig({ ...dev, LOCK_TTL_MS: '30000', PROVIDER_TIMEOUT_MS: '15000', BUY_GRACE_MS: '10000' }).worker.lockTtlMs).toBe(30_000);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ NODE_ENV: 'development', REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('uses the development secrets only when NODE_ENV says development (or test), and names what is missing otherwise', () => {
    expect(() => loadConfig({})).toThrow(/Missing ADMIN_TOKENS \(or ADMIN_TOKEN\), WEBHOOK_SECRET, CREDENTIALS_KEY\. .*NODE_ENV=development/);
    expect(() => loadConfig({ ADMIN_TOKEN: 'some-admin-token-0123' })).toThrow(/Missing WEBHOOK_SECRET, CREDENTIALS_KEY/);
    const { NODE_ENV: _env, ...real } = productionEnv;
    expect(loadConfig(real).usesDevelopmentSecrets).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).admins[0]?.token).toBe(DEV_DEFAULTS.ADMIN_TOKEN);
  });

  it('names admins with ADMIN_TOKENS; a lone ADMIN_TOKEN is the admin named admin; both together are all valid', () => {
    const both = loadConfig({ NODE_ENV: 'development', ADMIN_TOKENS: 'alice:alice-token-0123456789, bob:bob-token-0123456789ab', ADMIN_TOKEN: 'shared-token-0123456789' });
    expect(both.admins).toEqual([
      { name: 'alice', token: 'alice-token-0123456789' },
      { name: 'bob', token: 'bob-token-0123456789ab' },
      { name: 'admin', token: 'shared-token-0123456789' },
    ]);
    expect(() => loadConfig({ NODE_ENV: 'development', ADMIN_TOKENS: 'alice' })).toThrow(/ADMIN_TOKENS: expected name:token pairs/);
    expect(() => loadConfig({ NODE_ENV: 'development', ADMIN_TOKENS: 'alice:short' })).toThrow(/ADMIN_TOKENS: the token of alice must be at least 16/);
    expect(() => loadConfig({ NODE_ENV: 'development', ADMIN_TOKENS: 'a:same-token-0123456789,b:same-token-0123456789' })).toThrow(/a token of their own/);
    expect(() => loadConfig({ NODE_ENV: 'development', ADMIN_TOKENS: 'admin:x-token-0123456789ab', ADMIN_TOKEN: 'y-token-0123456789ab' })).toThrow(/admin admin is named twice/);
  });

  it('refuses tokens shorter than 32 characters in production', () => {
    expect(() => loadConfig({ ...productionEnv, ADMIN_TOKEN: 'only-twenty-chars-ok' })).toThrow(/ADMIN_TOKEN: the token of admin is shorter than 32/);
    expect(() => loadConfig({ ...productionEnv, APP_TOKEN: 'app-token-short-0123' })).toThrow(/APP_TOKEN: shorter than 32/);
  });

  it('takes Redis Sentinels instead of REDIS_URL, with the primary name', () => {
    const config = loadConfig({ NODE_ENV: 'development', REDIS_SENTINELS: '127.0.0.1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'vps' });
    expect(config.redis).toEqual({ kind: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 26379 }, { host: '::1', port: 26380 }], name: 'vps', password: undefined });
    expect(() => loadConfig({ NODE_ENV: 'development', REDIS_SENTINELS: '127.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME: required/);
    expect(() => loadConfig({ NODE_ENV: 'development', REDIS_SENTINELS: 'nohost' })).toThrow(/REDIS_SENTINELS: expected host:port/);
  });
});
