import { once, setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type Response } from 'express';
import type { ProviderName } from '../../src/providers/types';
import { controls } from './controls';
import { hostycareApi } from './hostycare-api';
import type { ProviderApiContext } from './provider-api';
import { smartVpsApi } from './smartvps-api';
import { SimulatorState, type SimulatorFaults, type SimulatorStats } from './state';

export type { FaultSettings, ProfileName, SimulatedOp, SimulatorFaults } from './faults';
export type { SimulatorStats } from './state';
export { simulatorFaultsFromEnv } from './env';

/** The keys the simulator accepts unless told otherwise: the app's development defaults. */
export const SIMULATOR_API_KEYS = { smartvps: 'dev-smartvps-key', hostycare: 'dev-hostycare-key' } as const;

/** A simulator listening on a port. */
export interface RunningSimulator {
  url: string;
  port: number;
  stats(): SimulatorStats;
  /** Applies a change as `POST /__sim/faults` does; throws (changing nothing) when it is invalid. */
  setFaults(f: SimulatorFaults): void;
  reset(): void;
  /** Makes the provider forget the purchases for an order reference now; returns how many. */
  forget(orderReference: string, provider?: ProviderName): number;
  stop(): Promise<void>;
}

/** Options of `startSimulator`; `apiKeys` replaces the development keys the APIs accept. */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Applied over the defaults, e.g. `{ profile: 'realistic', scale: 0.05 }`. */
  faults?: SimulatorFaults;
  apiKeys?: { smartvps?: string; hostycare?: string };
}

/** Starts SmartVPS at `<url>/smartvps`, Hostycare at `<url>/hostycare` and the controls at `<url>/__sim`. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState(options.faults);
  const held = new Set<Response>();
  const stopping = new AbortController();
  // Every request in its latency wait listens for the stop: many at once is normal, not a leak.
  setMaxListeners(0, stopping.signal);
  const context = (apiKey: string): ProviderApiContext => ({
    state,
    apiKey,
    delay: (op) => {
      const ms = state.drawLatency(op);
      return ms > 0 ? sleep(ms, undefined, { signal: stopping.signal }) : Promise.resolve();
    },
    hold: (res) => {
      held.add(res);
      res.once('close', () => held.delete(res));
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/__sim', controls(state));
  app.use('/smartvps', smartVpsApi(context(options.apiKeys?.smartvps ?? SIMULATOR_API_KEYS.smartvps)));
  app.use('/hostycare', hostycareApi(context(options.apiKeys?.hostycare ?? SIMULATOR_API_KEYS.hostycare)));
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.path}`, details: [] });
  });

  const host = options.host ?? '127.0.0.1';
  const server = await listen(createServer(app), options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    stats: () => state.stats(),
    setFaults: (faults) => void state.setFaults(faults),
    reset: () => state.reset(),
    forget: (orderReference, provider) => state.forget(orderReference, provider),
    stop: () => (stopped ??= stop(server, held, stopping)),
  };
}

async function listen(server: Server, port: number, host: string): Promise<Server> {
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

/**
 * Held responses (timeouts) and keep-alive sockets would keep the server, and jest, alive: destroy every
 * connection, then cut short every latency wait, buys still being processed included (their timers go).
 */
async function stop(server: Server, held: Set<Response>, stopping: AbortController): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  for (const res of held) res.socket?.destroy();
  held.clear();
  server.closeAllConnections();
  stopping.abort();
  await closed;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
