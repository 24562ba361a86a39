import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../dev/mongo';
import { useIntegrationEnv } from '../support/integration';
import { loadSpecFiles, specDirectory } from './spec-files';
import { formatSummary, summarize, type Summary } from './summary';
import { runSpecFiles } from './unified-runner';

/**
 * MongoDB's own CRUD spec tests, run through the official driver against the embedded stand-in (or the
 * real server MONGO_URL names). The stand-in must pass almost all that apply to a 7.0 standalone, and
 * whatever it cannot do it must refuse out loud ("not supported"), never answer differently.
 */
const MIN_PASSED = 300;

const directory = specDirectory();
const files = loadSpecFiles(directory);

if (!files) {
  describe('MongoDB CRUD spec tests', () => {
    // A clone without ../shared has no spec data: say so and skip, do not fail.
    console.log(`MongoDB CRUD spec tests not found at ${directory}; skipping`);
    it.skip(`MongoDB CRUD spec tests not found at ${directory}; skipping`, () => undefined);
  });
} else {
  const specFiles = files;
  // Only for its check that nothing is left open; this file starts its own server.
  useIntegrationEnv({ mongo: false, redis: false });

  describe('MongoDB CRUD spec tests (unified format)', () => {
    let mongo: EmbeddedMongo | undefined;
    let summary: Summary;

    beforeAll(async () => {
      const external = process.env.MONGO_URL;
      if (!external) mongo = await startEmbeddedMongo();
      const uri = external ?? (mongo as EmbeddedMongo).uri;
      // A real server is shared: the runner renames every database it uses and drops them afterwards.
      const databasePrefix = external ? `spec_${randomBytes(3).toString('hex')}_` : undefined;
      const run = await runSpecFiles(specFiles, { uri, ...(databasePrefix ? { databasePrefix } : {}) });
      summary = summarize(run.results);
      console.log(formatSummary(summary, run.server, external ? 'the MONGO_URL server' : 'the embedded stand-in'));
    }, 120_000);

    afterAll(async () => {
      await mongo?.stop();
    });

    it(`passes at least ${MIN_PASSED} of the applicable tests`, () => {
      expect(summary.applicable).toBeGreaterThanOrEqual(MIN_PASSED);
      expect(summary.passed).toBeGreaterThanOrEqual(MIN_PASSED);
    });

    it('fails only by refusing what it does not support, never with a wrong result', () => {
      const wrong = summary.failed.filter((failure) => !failure.refusal).map((failure) => `${failure.file} › ${failure.description}: ${failure.reason}`);
      expect(wrong).toEqual([]);
    });

    it('never passes a test whose specific expected error was met by a refusal', () => {
      expect(summary.suspect.map((result) => `${result.file} › ${result.description}`)).toEqual([]);
    });
  });
}
