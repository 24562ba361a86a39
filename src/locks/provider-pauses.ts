import type { Redis } from 'ioredis';
import type { ProviderName } from '../providers/types';

/**
 * "Slow down" from a provider (HTTP 429), shared by every worker process: while a provider is paused,
 * jobs for it wait instead of calling it. The other provider's jobs are not held up (a queue-wide
 * rate limit would pause them too).
 */
export interface ProviderPauses {
  /** Pauses `provider` for `ms` from now; a longer pause already set is kept. */
  pause(provider: ProviderName, ms: number): Promise<void>;
  /** How long `provider` stays paused, in ms (0: not paused). */
  remainingMs(provider: ProviderName): Promise<number>;
}

/** Sets the key's expiry only if it extends it (PEXPIRE … GT needs Redis 7; this works on any version). */
const EXTEND_PAUSE = `
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1`;

export function createProviderPauses(redis: Redis, prefix: string): ProviderPauses {
  const key = (provider: ProviderName) => `${prefix}:provider-pause:${provider}`;
  return {
    async pause(provider, ms) {
      await redis.eval(EXTEND_PAUSE, 1, key(provider), String(Math.max(1, Math.round(ms))));
    },
    async remainingMs(provider) {
      const ttl = await redis.pttl(key(provider));
      return ttl > 0 ? ttl : 0;
    },
  };
}
