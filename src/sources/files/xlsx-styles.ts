import type { XlsxPackage } from './xlsx-package.ts';
import { dateKind, type DateKind } from './xlsx-dates.ts';
import { zeroGroups } from './xlsx-zero-pad.ts';
import { attribute } from './xml-scanner.ts';

/** How a cell style shows a number: as a date (its kind), as a code padded with zeros (its groups), or as a number. */
export type NumberStyle = DateKind | readonly number[] | undefined;

/**
 * How each cell style shows numbers, by style index (a cell's `s`): undefined for a style that
 * shows them as numbers. Read from the styles part: its custom number formats (`numFmts`) and
 * the cell formats (`cellXfs`) that point at them.
 */
export async function readNumberStyles(pkg: XlsxPackage, part: string | undefined): Promise<NumberStyle[]> {
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
  return formats.map((id) => dateKind(id, codes.get(id)) ?? zeroGroups(codes.get(id)));
}
