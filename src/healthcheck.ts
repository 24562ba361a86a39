/**
 * The container health check of both roles (Dockerfile HEALTHCHECK, compose): healthy when the process
 * that listens in this container answers `/readyz` with 200. The API listens on PORT; a worker serves
 * its `/readyz` on WORKER_METRICS_PORT; in each container only one of them listens, so the first port
 * that accepts a connection decides. Plain `process.env` reads: this runs without the app's config.
 */
const ports = [process.env.PORT || '3000', process.env.WORKER_METRICS_PORT || '9464'];

async function probe(port: string): Promise<number | 'closed'> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4_000) });
    return response.status;
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === 'ECONNREFUSED' ? 'closed' : 0;
  }
}

async function main(): Promise<void> {
  for (const port of ports) {
    const status = await probe(port);
    if (status === 'closed') continue;
    console.log(`/readyz on port ${port}: ${status || 'no answer'}`);
    process.exit(status === 200 ? 0 : 1);
  }
  console.log(`nothing listens on ports ${ports.join(', ')}`);
  process.exit(1);
}

void main();
