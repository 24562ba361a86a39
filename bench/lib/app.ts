import http from 'node:http';
import { Types } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { freePort, type BenchInfra, type Child } from './infra';

// The product's processes as the bench starts them: `npm run api` and `npm run worker`, each a child
// process, configured only with where MongoDB, Redis and the providers are. Every worker timing
// (poll cadence, concurrency, lock TTL and retry, attempts) is the shipped default.

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const WEBHOOK_SECRET = `whsec_${Buffer.from('bench-webhook-secret-0123456789').toString('base64')}`;

/** One line of a child's pino log (JSON), or null for anything else. */
export interface LogLine {
  time: number;
  msg: string;
  orderId?: string;
  [field: string]: unknown;
}

export function parseLogLine(line: string): LogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(line) as { time?: string | number; msg?: string };
    if (typeof parsed.msg !== 'string' || parsed.time === undefined) return null;
    const time = typeof parsed.time === 'number' ? parsed.time : Date.parse(parsed.time);
    return { ...parsed, time, msg: parsed.msg } as LogLine;
  } catch {
    return null;
  }
}

export interface AppOptions {
  /** Extra environment (never a worker timing: the benches run the shipped defaults). */
  env?: Record<string, string>;
  /** Each parsed log line of the process. */
  onLog?: (line: LogLine) => void;
  /** Run the compiled build there (lib/build.ts) rather than the sources through tsx. */
  compiledDir?: string;
}

function spawnOptions({ onLog, compiledDir }: AppOptions) {
  return {
    ...(compiledDir ? { compiledDir } : {}),
    ...(onLog
      ? {
          onLine: (line: string) => {
            const parsed = parseLogLine(line);
            if (parsed) onLog(parsed);
          },
        }
      : {}),
  };
}

/** `npm run api` as a child process on a port of its own, with the bench's MongoDB database and queue prefix. */
export async function spawnApi(infra: BenchInfra, label: string, options: AppOptions = {}): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = await infra.spawnTs(
    'src/server.ts',
    {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      MONGO_URL: infra.mongoUrl(label),
      REDIS_URL: infra.redisUrl,
      QUEUE_PREFIX: infra.prefix(label),
      ADMIN_TOKEN,
      WEBHOOK_SECRET,
      ...options.env,
    },
    /API listening on (http\S+)/,
    spawnOptions(options),
  );
  return { child, url: `http://127.0.0.1:${port}` };
}

/** `npm run worker` as a child process: the shipped defaults, the simulator as both providers. */
export function spawnWorker(infra: BenchInfra, label: string, options: AppOptions = {}): Promise<Child> {
  return infra.spawnTs(
    'workers/provision.worker.ts',
    {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      MONGO_URL: infra.mongoUrl(label),
      REDIS_URL: infra.redisUrl,
      QUEUE_PREFIX: infra.prefix(label),
      SIMULATOR_URL: infra.simulatorUrl,
      ...options.env,
    },
    /worker started/,
    spawnOptions(options),
  );
}

const signer = new Webhook(WEBHOOK_SECRET);

/** Keep-alive connections to the API, as a payment provider's sender would keep them. */
const senderAgent = new http.Agent({ keepAlive: true });

/**
 * Sends a signed `payment.succeeded` webhook for an order, as the payment provider would; resolves when
 * answered 200. `onSent` is called once the request is signed, as it is handed to the network: the
 * latency bench counts from there, so its own signing is not counted as ours.
 */
export async function sendPayment(apiUrl: string, orderId: string, onSent?: () => void): Promise<void> {
  const id = `msg_${new Types.ObjectId().toString()}`;
  const payload = JSON.stringify({ type: 'payment.succeeded', data: { orderId, amount: 10, currency: 'EUR' } });
  const now = new Date();
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signer.sign(id, now, payload),
  };
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(`${apiUrl}/api/webhooks/payments`, { method: 'POST', headers, agent: senderAgent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    onSent?.();
    req.end(payload);
  });
  if (answer.status !== 200) throw new Error(`payment webhook answered ${answer.status}: ${answer.text}`);
}
