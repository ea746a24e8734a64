import path from 'node:path';
import { ConfigError } from '../../errors/errors.ts';
import type { XlsxPackage } from './xlsx-package.ts';
import { attribute, type XmlHandler } from './xml-scanner.ts';

/** What the workbook part says about the package: its sheets, in tab order, and where the rest is. */
export interface Workbook {
  /** Worksheets (charts and dialogs left out), in the order of their tabs; `hidden` when their tab is not shown. */
  sheets: { name: string; part: string; hidden: boolean }[];
  /** Whether dates count from 1904 (old Mac Excel) rather than 1900. */
  date1904: boolean;
  /** The styles part, which says which cells are dates; absent in some minimal workbooks. */
  styles: string | undefined;
  /** The shared-strings part; absent in a workbook that keeps its strings in the cells. */
  sharedStrings: string | undefined;
}

const OFFICE_DOCUMENT = /\/officeDocument$/;

/** Reads the package's relationships and workbook part. */
export async function readWorkbook(pkg: XlsxPackage): Promise<Workbook> {
  const root = await relationships(pkg, '_rels/.rels', '');
  const main = [...root.values()].find((r) => OFFICE_DOCUMENT.test(r.type))?.target;
  if (main === undefined || !pkg.has(main)) throw pkg.invalid('it has no workbook part (xl/workbook.xml)');
  const related = [...(await relationships(pkg, relsOf(main), path.posix.dirname(main))).entries()];
  const byType = (type: string) => related.find(([, r]) => r.type.endsWith(`/${type}`))?.[1].target;
  const { sheets, date1904 } = await sheetList(pkg, main);
  const worksheets = sheets.flatMap(({ name, id, hidden }) => {
    const rel = related.find(([rid]) => rid === id)?.[1];
    return rel !== undefined && rel.type.endsWith('/worksheet') ? [{ name, part: rel.target, hidden }] : [];
  });
  return {
    sheets: worksheets,
    date1904,
    styles: present(pkg, byType('styles')),
    sharedStrings: present(pkg, byType('sharedStrings')),
  };
}

/**
 * The worksheet to read: the one named, or the first whose tab is shown. A hidden first tab (a
 * lookup list, a template's settings) is not the sheet a user means by "the first": its rows
 * would replace the data with exit 0. A name it does not have is a ConfigError.
 */
export function pickSheet(pkg: XlsxPackage, workbook: Workbook, name: string | undefined): Workbook['sheets'][number] {
  const { sheets } = workbook;
  const first = sheets.find((s) => !s.hidden) ?? sheets[0];
  if (first === undefined) throw pkg.invalid('it has no worksheet');
  if (name === undefined) return first;
  // Excel treats sheet names case-insensitively: "Orders" and "orders" cannot both exist.
  const found = sheets.find((s) => s.name === name) ?? sheets.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (found !== undefined) return found;
  const names = sheets.map((s) => JSON.stringify(s.name)).join(', ');
  throw new ConfigError(`--sheet ${JSON.stringify(name)}: ${pkg.file} has no such sheet; its sheets are ${names}`, {
    code: 'XLSX_NO_SUCH_SHEET',
  });
}

interface Relationship {
  type: string;
  target: string;
}

/** A relationships part: id → type and target, the target resolved against `base`. */
async function relationships(pkg: XlsxPackage, part: string, base: string): Promise<Map<string, Relationship>> {
  const found = new Map<string, Relationship>();
  if (!pkg.has(part)) return found;
  await pkg.scan(part, {
    wantsText: false,
    open(name, attributes) {
      if (name !== 'Relationship' || attribute(attributes, 'TargetMode') === 'External') return;
      const id = attribute(attributes, 'Id');
      const type = attribute(attributes, 'Type');
      const target = attribute(attributes, 'Target');
      if (id !== undefined && type !== undefined && target !== undefined)
        found.set(id, { type, target: resolve(base, target) });
    },
    close() {},
    text() {},
  });
  return found;
}

async function sheetList(
  pkg: XlsxPackage,
  part: string,
): Promise<{ sheets: { name: string; id: string; hidden: boolean }[]; date1904: boolean }> {
  const sheets: { name: string; id: string; hidden: boolean }[] = [];
  let date1904 = false;
  const handler: XmlHandler = {
    wantsText: false,
    open(name, attributes) {
      if (name === 'workbookPr') date1904 = isTrue(attribute(attributes, 'date1904'));
      if (name !== 'sheet') return;
      const sheet = attribute(attributes, 'name');
      const id = attribute(attributes, 'id');
      // ST_SheetState: visible (the default), hidden, or veryHidden (shown only to macros).
      const state = attribute(attributes, 'state');
      if (sheet !== undefined && id !== undefined)
        sheets.push({ name: sheet, id, hidden: state !== undefined && state !== 'visible' });
    },
    close() {},
    text() {},
  };
  await pkg.scan(part, handler);
  return { sheets, date1904 };
}

/** The relationships part of a part: xl/workbook.xml → xl/_rels/workbook.xml.rels. */
function relsOf(part: string): string {
  return path.posix.join(path.posix.dirname(part), '_rels', `${path.posix.basename(part)}.rels`);
}

/** A target is relative to the folder of the part that names it, or absolute from the package root. */
function resolve(base: string, target: string): string {
  const joined = target.startsWith('/') ? target : path.posix.join(base, target);
  return path.posix.normalize(joined).replace(/^\/+/, '');
}

function present(pkg: XlsxPackage, part: string | undefined): string | undefined {
  return part !== undefined && pkg.has(part) ? part : undefined;
}

/** xsd:boolean: "true" or "1". */
export function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}
