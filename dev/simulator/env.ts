import { PROFILE_NAMES, type ProfileName, type SimulatorFaults } from './faults';

/**
 * The timing `SIM_PROFILE` (`fast` | `realistic`) and `SIM_SCALE` (a factor on every latency and IP delay)
 * ask for; empty or unset means not given. Throws a message naming the variable when a value is invalid.
 */
export function simulatorFaultsFromEnv(env: NodeJS.ProcessEnv): Pick<SimulatorFaults, 'profile' | 'scale'> {
  const faults: Pick<SimulatorFaults, 'profile' | 'scale'> = {};
  const profile = env.SIM_PROFILE?.trim();
  if (profile) {
    if (!isProfileName(profile)) throw new Error(`Invalid SIM_PROFILE "${profile}": expected one of ${PROFILE_NAMES.join(', ')}`);
    faults.profile = profile;
  }
  const scale = env.SIM_SCALE?.trim();
  if (scale) {
    const value = Number(scale);
    if (!Number.isFinite(value) || value < 0 || value > 100) {
      throw new Error(`Invalid SIM_SCALE "${scale}": expected a number from 0 to 100 that multiplies every latency and IP delay (e.g. 0.1)`);
    }
    faults.scale = value;
  }
  return faults;
}

function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(value);
}
