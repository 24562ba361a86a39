import type { ServerFacts, SkipReason } from './requirements';
import type { TestResult } from './unified-runner';

export interface Summary {
  applicable: number;
  passed: number;
  failed: Extract<TestResult, { status: 'failed' }>[];
  /** Passed with a refusal as the expected error: honestly (the test only wants a failure), or suspect. */
  refusedAsExpected: Extract<TestResult, { status: 'passed' }>[];
  suspect: Extract<TestResult, { status: 'passed' }>[];
  skipped: Map<SkipReason, number>;
  skippedTotal: number;
}

export function summarize(results: TestResult[]): Summary {
  const skipped = new Map<SkipReason, number>();
  const failed: Summary['failed'] = [];
  const refusedAsExpected: Summary['refusedAsExpected'] = [];
  const suspect: Summary['suspect'] = [];
  let passed = 0;
  for (const result of results) {
    if (result.status === 'skipped') skipped.set(result.reason, (skipped.get(result.reason) ?? 0) + 1);
    else if (result.status === 'failed') failed.push(result);
    else {
      passed += 1;
      if (result.refusal === 'expected-failure') refusedAsExpected.push(result);
      if (result.refusal === 'suspect') suspect.push(result);
    }
  }
  const skippedTotal = [...skipped.values()].reduce((sum, count) => sum + count, 0);
  return { applicable: passed + failed.length, passed, failed, refusedAsExpected, suspect, skipped, skippedTotal };
}

export function formatSummary(summary: Summary, server: ServerFacts, target: string): string {
  const refused = summary.failed.filter((failure) => failure.refusal).length;
  const lines = [
    `MongoDB CRUD spec tests (unified format) against ${target}: MongoDB ${server.version.join('.')}, ${server.topology}`,
    `  applicable ${summary.applicable}, passed ${summary.passed}, failed ${summary.failed.length} (${refused} refused as not supported)`,
    `  skipped ${summary.skippedTotal}:`,
    ...[...summary.skipped].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `    ${String(count).padStart(4)}  ${reason}`),
  ];
  if (summary.failed.length) {
    lines.push('  failed:');
    for (const failure of summary.failed) {
      lines.push(`    ${failure.refusal ? '[not supported]' : '[WRONG RESULT]'} ${failure.file} › ${failure.description}`, `        ${failure.reason}`);
    }
  }
  if (summary.refusedAsExpected.length) {
    lines.push('  passed: the test wants a server error, and the stand-in refuses the option as not supported:');
    for (const result of summary.refusedAsExpected) lines.push(`    ${result.file} › ${result.description}`);
  }
  if (summary.suspect.length) {
    lines.push('  SUSPECT: passed although a specific expected error was met by a "not supported" refusal:');
    for (const result of summary.suspect) lines.push(`    ${result.file} › ${result.description}`);
  }
  return lines.join('\n');
}
