import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAdminUi } from '../../src/api/admin-ui-assets';
import { ROOT } from './infra';

/** The product compiled as `npm run build` compiles it, outside the work tree. */
export interface ProductBuild {
  /** Holds `src/server.js` and `workers/provision.worker.js`, as dist/ does. */
  dir: string;
  seconds: number;
  remove(): void;
}

/**
 * Compiles src/ and workers/ with tsconfig.build.json (as `npm run build` does) into a temporary folder
 * whose node_modules points at the checkout's, and bundles the admin page beside it, so the benches can
 * run what the production image runs without touching dist/.
 */
export async function buildProduct(): Promise<ProductBuild> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'vps-bench-build-'));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const dir = join(root, 'dist');
    const tsc = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dir, '--sourceMap', 'false'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    tsc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    tsc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(tsc, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`compiling the product failed (tsc exit ${code}):\n${output.slice(-3000)}`);
    // Where the compiled admin-ui-assets.js looks for the bundled page (dist/admin-ui).
    const assets = bundleAdminUi();
    mkdirSync(join(dir, 'admin-ui'), { recursive: true });
    writeFileSync(join(dir, 'admin-ui', 'index.html'), assets.html);
    writeFileSync(join(dir, 'admin-ui', 'styles.css'), assets.css);
    writeFileSync(join(dir, 'admin-ui', 'app.js'), assets.script);
    return { dir, seconds: (Date.now() - started) / 1000, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
