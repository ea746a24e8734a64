import type { XlsxPackage } from './xlsx-package.ts';
import { dateKind, type DateKind } from './xlsx-dates.ts';
import { attribute } from './xml-scanner.ts';

/**
 * The kind of date each cell style shows, by style index (a cell's `s`): undefined for a style
 * that shows numbers. Read from the styles part: its custom number formats (`numFmts`) and the
 * cell formats (`cellXfs`) that point at them.
 */
export async function readDateStyles(pkg: XlsxPackage, part: string | undefined): Promise<(DateKind | undefined)[]> {
  if (part === undefined) return [];
  const codes = new Map<number, string>();
  const formats: number[] = [];
  let inCellXfs = false;
  await pkg.scan(part, {
    wantsText: false,
    open(name, attributes) {
      if (name === 'numFmt') {
        const id = Number(attribute(attributes, 'numFmtId'));
        const code = attribute(attributes, 'formatCode');
        if (Number.isInteger(id) && code !== undefined) codes.set(id, code);
      } else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) formats.push(Number(attribute(attributes, 'numFmtId') ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
    text() {},
  });
  return formats.map((id) => dateKind(id, codes.get(id)));
}
