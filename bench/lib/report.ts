/** One line of the results table: a figure of ours, beside the limit or peer it is compared with. */
export interface BenchRow {
  bench: string;
  metric: string;
  unit: string;
  value: number;
  baseline?: { label: string; value: number };
  /** Human-readable target, e.g. `≤ 1.25× limit` or `≤ 20 ms`. */
  target: string;
  /** null: a figure shown for context, with no target of its own. */
  pass: boolean | null;
  note?: string;
}

/** The p-th percentile (0..100) of the values, by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function cell(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** A plain-text table, one row per figure. */
export function formatTable(rows: BenchRow[]): string {
  const header = ['bench', 'metric', 'ours', 'limit / peer', 'ratio', 'target', 'result'];
  const lines = rows.map((row) => [
    row.bench,
    row.metric,
    cell(row.value, row.unit),
    row.baseline ? `${cell(row.baseline.value, row.unit)} (${row.baseline.label})` : '',
    row.baseline && row.baseline.value !== 0 ? `${(row.value / row.baseline.value).toFixed(2)}×` : '',
    row.target,
    row.pass === null ? '' : row.pass ? 'PASS' : 'MISS',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => (line[i] as string).length)));
  const render = (line: string[]) => line.map((text, i) => text.padEnd(widths[i] as number)).join('  ').trimEnd();
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.bench}, ${row.metric}: ${row.note}`);
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}
