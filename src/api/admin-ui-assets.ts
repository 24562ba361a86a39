import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The admin page as served: its HTML, stylesheet and one bundled script. */
export interface AdminUiAssets {
  html: string;
  css: string;
  script: string;
}

const ASSET_FILES = { html: 'index.html', css: 'styles.css', script: 'app.js' } as const;

/** Running from TypeScript sources (tsx, jest) rather than from `npm run build`'s output. */
const FROM_SOURCE = __filename.endsWith('.ts');

/** `src/admin-ui`, seen from this file in a checkout (src/api) or from its compiled copy (dist/src/api). */
const SOURCE_DIR = FROM_SOURCE ? join(__dirname, '..', 'admin-ui') : join(__dirname, '..', '..', '..', 'src', 'admin-ui');

/** Where `npm run build` writes the bundled page, seen from the compiled copy of this file. */
export const BUILT_ASSETS_DIR = join(__dirname, '..', '..', 'admin-ui');

/**
 * The admin page's assets. Compiled code (production) serves what `npm run build` bundled; code run from
 * its sources (the dev stack, tests, `npm run api`) bundles the page in memory on start, so an edit shows
 * on the next start without a build.
 */
export function loadAdminUiAssets(): AdminUiAssets {
  loaded ??= FROM_SOURCE ? bundleAdminUi() : readBuiltAssets(BUILT_ASSETS_DIR);
  return loaded;
}

let loaded: AdminUiAssets | undefined;

function readBuiltAssets(dir: string): AdminUiAssets {
  if (!existsSync(join(dir, ASSET_FILES.script))) {
    throw new Error(`The admin page is not built (no ${join(dir, ASSET_FILES.script)}): run npm run build.`);
  }
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return { html: read(ASSET_FILES.html), css: read(ASSET_FILES.css), script: read(ASSET_FILES.script) };
}

/** Bundles the page's TypeScript with esbuild (a build-time tool: never loaded by compiled code). */
export function bundleAdminUi(): AdminUiAssets {
  // Loaded here, not at the top: esbuild is a devDependency and absent from the production image.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const built = buildSync({
    entryPoints: [join(SOURCE_DIR, 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = built.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no bundle for the admin page');
  const read = (file: string) => readFileSync(join(SOURCE_DIR, file), 'utf8');
  return { html: read(ASSET_FILES.html), css: read(ASSET_FILES.css), script };
}

/** `npm run build`: bundles the page into `dist/admin-ui`, where compiled code serves it from. */
if (require.main === module) {
  const assets = bundleAdminUi();
  mkdirSync(BUILT_ASSETS_DIR, { recursive: true });
  for (const [kind, file] of Object.entries(ASSET_FILES)) writeFileSync(join(BUILT_ASSETS_DIR, file), assets[kind as keyof AdminUiAssets]);
  console.log(`admin page bundled into ${BUILT_ASSETS_DIR}`);
}
