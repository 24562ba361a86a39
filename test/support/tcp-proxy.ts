import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic now:
 * - `forward`: both ways, as a network that works;
 * - `hang`: a partition: connections are accepted and kept open, but nothing passes either way (bytes
 *   wait in the kernel's buffers, as unacknowledged TCP segments would) until `forward()`;
 * - `refuse`: the target is down: every connection is closed and new ones are refused (nothing listens).
 */
export type ProxyMode = 'forward' | 'hang' | 'refuse';

export interface ProxyCounts {
  /** Connections accepted since the start. */
  accepted: number;
  /** Connections that were open when a hang began, or were accepted during one. */
  stalled: number;
  /** Connections closed by `refuse()`. */
  cut: number;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  readonly mode: ProxyMode;
  readonly counts: ProxyCounts;
  /** Connections open now (through the proxy, or waiting in it). */
  openConnections(): number;
  hang(): void;
  refuse(): Promise<void>;
  forward(): Promise<void>;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

/** Loopback ports below Linux's ephemeral range: nobody's outgoing connection takes ours while it is closed. */
const PORT_RANGE = [20_000, 32_000] as const;
const LISTEN_TRIES = 50;

/**
 * A TCP proxy on 127.0.0.1 in front of `target`, for fault tests: it can stop forwarding (hang) or
 * refuse connections, and forward again, on the same port throughout.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const counts: ProxyCounts = { accepted: 0, stalled: 0, cut: 0 };
  let mode: ProxyMode = 'forward';
  let closed = false;

  function connectUpstream(pair: Pair): void {
    const upstream = connect({ host: target.host, port: target.port });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    relay(pair.client, upstream);
    relay(upstream, pair.client);
    const end = () => drop(pair);
    upstream.once('close', end);
    upstream.on('error', end);
  }

  /** Passes `from`'s bytes to `to` while forwarding, with backpressure; a hang pauses `from`. */
  function relay(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (mode === 'forward') from.resume();
    });
    from.once('end', () => to.end());
    if (mode === 'forward') from.resume();
    else from.pause();
  }

  function drop(pair: Pair): void {
    if (!pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    counts.accepted += 1;
    if (mode === 'refuse' || closed) {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    pairs.add(pair);
    client.setNoDelay(true);
    const end = () => drop(pair);
    client.once('close', end);
    client.on('error', end);
    if (mode === 'forward') connectUpstream(pair);
    else counts.stalled += 1; // accepted, and left waiting: nothing goes anywhere until forward()
  });

  const port = await listenOnFreePort(server);

  return {
    host: '127.0.0.1',
    port,
    get mode() {
      return mode;
    },
    counts,
    openConnections: () => pairs.size,
    hang() {
      if (mode !== 'forward') throw new Error(`cannot hang while ${mode}`);
      mode = 'hang';
      for (const pair of pairs) {
        counts.stalled += 1;
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    async refuse() {
      if (mode !== 'forward') throw new Error(`cannot refuse while ${mode}`);
      mode = 'refuse';
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      counts.cut += pairs.size;
      for (const pair of [...pairs]) drop(pair);
      await stopped;
    },
    async forward() {
      const was = mode;
      if (was === 'forward') return;
      mode = 'forward';
      if (was === 'refuse') {
        await listenOn(server, port);
        return;
      }
      for (const pair of pairs) {
        if (pair.upstream) {
          pair.client.resume();
          pair.upstream.resume();
        } else {
          connectUpstream(pair);
        }
      }
    },
    async close() {
      closed = true;
      for (const pair of [...pairs]) drop(pair);
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listenOnFreePort(server: Server): Promise<number> {
  const [low, high] = PORT_RANGE;
  for (let tries = 0; tries < LISTEN_TRIES; tries += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    try {
      await listenOn(server, port);
      return port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error(`no free loopback port in ${low}-${high} after ${LISTEN_TRIES} tries`);
}

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
