/**
 * Writes the API's OpenAPI document and the typed client generated from it:
 *
 *   clients/typescript/openapi.json   the document (src/api/openapi.ts, from the routes' zod schemas)
 *   clients/typescript/src/schema.ts  its types (openapi-typescript)
 *   clients/typescript/dist/          the client compiled (src/index.ts + schema.ts), what the web app installs
 *
 * `npm run openapi` writes them. `npm run check:client` (CI) writes nothing: it generates them in memory
 * and fails on any difference from the files on disk, type-checks the client's examples and this
 * script, and lints the document with Redocly's recommended rules (redocly.yaml).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { openApiDocument } from '../src/api/openapi';

const ROOT = path.resolve(__dirname, '..');
const CLIENT = path.join(ROOT, 'clients/typescript');
const DOCUMENT = path.join(CLIENT, 'openapi.json');
const SCHEMA = path.join(CLIENT, 'src/schema.ts');
const DIST = path.join(CLIENT, 'dist');

const SCHEMA_HEADER = `/**
 * The types of the vps-provisioner API, generated from openapi.json by openapi-typescript.
 * Do not edit: run \`npm run openapi\` at the repository root.
 */

`;

const COMPILED_HEADER = `/* Compiled from ../src by \`npm run openapi\` at the repository root: do not edit. */
/* eslint-disable */
`;

const relative = (file: string) => path.relative(ROOT, file);

/** Every generated file, by absolute path, with its content. */
async function generate(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const document = openApiDocument();
  files.set(DOCUMENT, `${JSON.stringify(document, null, 2)}\n`);

  // openapi-typescript may annotate what it is given: hand it a copy.
  const ast = await openapiTS(structuredClone(document) as unknown as OpenAPI3, { silent: true });
  files.set(SCHEMA, SCHEMA_HEADER + astToString(ast));

  for (const [file, content] of compileClient(files.get(SCHEMA) as string)) files.set(file, content);
  return files;
}

/** The client compiled with its own tsconfig, reading the freshly generated schema.ts instead of the one on disk. */
function compileClient(schemaSource: string): Map<string, string> {
  const configPath = path.join(CLIENT, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(formatDiagnostics([d])) });
  if (!config) fail(`Cannot read ${relative(configPath)}`);
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (file) => (path.resolve(file) === SCHEMA ? schemaSource : readFile(file));
  host.fileExists = (file) => path.resolve(file) === SCHEMA || fileExists(file);
  const emitted = new Map<string, string>();
  // Compiled CommonJS is not linted (the root lint config knows no `exports`): the sources are.
  host.writeFile = (file, content) => emitted.set(path.resolve(file), file.endsWith('.js') ? COMPILED_HEADER + content : content);
  const rootNames = [...new Set([...config.fileNames.map((file) => path.resolve(file)), SCHEMA])];
  const program = ts.createProgram({ rootNames, options: config.options, host });
  const result = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) fail(`The client does not compile:\n${formatDiagnostics(diagnostics)}`);
  return emitted;
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function write(files: Map<string, string>): void {
  // dist holds only what this compile emits.
  rmSync(DIST, { recursive: true, force: true });
  for (const [file, content] of files) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  for (const file of files.keys()) console.log(`wrote ${relative(file)}`);
}

/** The generated files that differ from, or are missing on, disk, and files in dist that nothing generates. */
function differences(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, content] of files) {
    if (!existsSync(file)) found.push(`missing: ${relative(file)}`);
    else if (readFileSync(file, 'utf8') !== content) found.push(`out of date: ${relative(file)}`);
  }
  for (const file of listFiles(DIST)) if (!files.has(file)) found.push(`not generated: ${relative(file)}`);
  return found;
}

function run(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): boolean {
  console.log(`\n== ${what}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.error) console.error(result.error.message);
  return result.status === 0;
}

const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generate();
  if (!check) {
    write(files);
    return;
  }

  let ok = true;
  const stale = differences(files);
  console.log('== The OpenAPI document and the client are up to date');
  if (stale.length > 0) {
    console.error(`${stale.map((line) => `  ${line}`).join('\n')}\nRun \`npm run openapi\` and commit the result.`);
    ok = false;
  } else {
    console.log(`  ${files.size} files match`);
  }
  ok = run('Type-check the client examples', bin('tsc'), ['--noEmit', '-p', relative(path.join(CLIENT, 'examples'))]) && ok;
  ok = run('Type-check this script', bin('tsc'), ['--noEmit', '-p', 'scripts']) && ok;
  // Redocly runs offline; these keep it from sending usage data or looking for updates.
  ok = run('Redocly lint (recommended)', bin('redocly'), ['lint', '--format=stylish'], { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }) && ok;
  if (!ok) fail('\ncheck:client failed');
  console.log('\ncheck:client passed');
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
