import { SIMULATOR_API_KEYS, simulatorFaultsFromEnv, startSimulator } from './simulator';

/** `npm run simulator`: both provider APIs on one port, for local development. */
async function main(): Promise<void> {
  const port = parsePort(process.env.SIMULATOR_PORT || process.env.PORT || '4010');
  const faults = simulatorFaultsFromEnv(process.env);
  // Same variables and defaults as the app's config, so the app and the simulator agree on the keys.
  const simulator = await startSimulator({
    port,
    host: '127.0.0.1',
    faults,
    apiKeys: {
      smartvps: process.env.SMARTVPS_API_KEY || SIMULATOR_API_KEYS.smartvps,
      hostycare: process.env.HOSTYCARE_API_KEY || SIMULATOR_API_KEYS.hostycare,
    },
  });
  console.log(`Simulator    ${simulator.url}`);
  if (faults.profile !== undefined || faults.scale !== undefined) {
    console.log(`Timing       profile ${faults.profile ?? 'fast'}, scale ${faults.scale ?? 1}`);
  }

  const shutdown = (signal: NodeJS.Signals) => {
    console.log(`Simulator    ${signal}: stopping`);
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Simulator    stop failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid simulator port "${value}": expected an integer 0..65535 (SIMULATOR_PORT or PORT)`);
  }
  return port;
}

main().catch((error: unknown) => {
  console.error('Simulator    failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
