import { ConfigError, DEV_DEFAULTS, loadConfig } from '../../src/config';

const productionEnv = {
  NODE_ENV: 'production',
  MONGO_URL: 'mongodb://mongo:27017/vps',
  REDIS_URL: 'redis://redis:6379',
  ADMIN_TOKEN: 'a-long-enough-admin-token',
  WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
  CREDENTIALS_KEY: 'ab'.repeat(32),
  SMARTVPS_API_URL: 'https://api.smartvps.example',
  SMARTVPS_API_KEY: 'sv-key',
  HOSTYCARE_API_URL: 'https://api.hostycare.example',
  HOSTYCARE_API_KEY: 'hc-key',
};

describe('loadConfig', () => {
  it('gives the documented defaults in development', () => {
    const config = loadConfig({});
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
    expect(config.adminToken).toBe(DEV_DEFAULTS.ADMIN_TOKEN);
    expect(config.credentialsKey).toHaveLength(32);
  });

  it('parses lists and numbers, and points both providers at SIMULATOR_URL', () => {
    const config = loadConfig({ PROVISION_BACKOFF_MS: '100, 200', WORKER_CONCURRENCY: '3', SIMULATOR_URL: 'http://127.0.0.1:4010/' });
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
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses production without its required variables, naming them', () => {
    const { ADMIN_TOKEN: _a, CREDENTIALS_KEY: _c, ...partial } = productionEnv;
    expect(() => loadConfig(partial)).toThrow(/ADMIN_TOKEN, CREDENTIALS_KEY/);
    expect(loadConfig(productionEnv).isProduction).toBe(true);
  });

  it('refuses a package lock TTL that a buy and its grace could outlast', () => {
    expect(() => loadConfig({ LOCK_TTL_MS: '20000', PROVIDER_TIMEOUT_MS: '15000', BUY_GRACE_MS: '10000' })).toThrow(/LOCK_TTL_MS: must exceed PROVIDER_TIMEOUT_MS \+ BUY_GRACE_MS/);
    expect(loadConfig({ LOCK_TTL_MS: '30000', PROVIDER_TIMEOUT_MS: '15000', BUY_GRACE_MS: '10000' }).worker.lockTtlMs).toBe(30_000);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });
});
