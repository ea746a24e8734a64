import { readFile, writeFile } from 'node:fs/promises';
import type { BenchSection, Table } from './section.ts';

const TITLE = '# ferry benchmarks';
const INTRO =
  'Written by `npm run bench` (bench/run.ts). Each section is replaced when its benchmark runs again; ' +
  'text outside the `<!-- bench:… -->` markers is not kept. What users run is measured in **shipped-jobs**: the ' +
  'executables `ferry build` makes of the examples, against hand-written loops and Python in the same run. A ' +
  'section titled (information) measures something else (a job written for the benchmark, a reader alone) and ' +
  'is no evidence of what ships.';
const BLOCK = /<!-- bench:([\w-]+) -->\n[\s\S]*?<!-- \/bench:\1 -->/g;

const open = (id: string) => `<!-- bench:${id} -->`;
const close = (id: string) => `<!-- /bench:${id} -->`;

/** The header block: when and where the latest run was made. */
export function renderHeader(date: Date, machine: string, ran: readonly string[]): string {
  return [
    open('header'),
    `Last run: ${date.toISOString()} (${ran.join(', ')})  `,
    `Machine: ${machine}`,
    close('header'),
  ].join('\n');
}

/** One benchmark's block, markers included. `measured` says when and where, as sections outlive runs. */
export function renderSection(id: string, section: BenchSection, measured: string): string {
  const lines = [
    open(id),
    `## ${section.title}`,
    '',
    `_${measured}_`,
    '',
    section.method,
    '',
    renderTable(section.table),
    '',
  ];
  if (section.targets.length > 0) {
    lines.push('Targets:', '');
    for (const t of section.targets)
      lines.push(`- ${t.pass ? '✅ PASS' : '❌ FAIL'}: ${t.what} ${t.target}: measured ${t.measured}`);
    lines.push('');
  }
  if (section.notes.length > 0) {
    lines.push('Notes:', '');
    for (const note of section.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  lines.push(close(id));
  return lines.join('\n');
}

export function renderTable(table: Table): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = table.head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [row(table.head), row(rule), ...table.rows.map(row)].join('\n');
}

/**
 * Writes the results file: a fresh header, then the sections it had, with those in `sections`
 * replaced where they stood and new ones added at the end.
 */
export async function writeResults(file: string, header: string, sections: ReadonlyMap<string, string>): Promise<void> {
  const old = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const blocks = new Map<string, string>();
  for (const [block, id] of old.matchAll(BLOCK)) if (id !== undefined && id !== 'header') blocks.set(id, block);
  for (const [id, block] of sections) blocks.set(id, block);
  await writeFile(file, [TITLE, INTRO, header, ...blocks.values()].join('\n\n') + '\n');
}
