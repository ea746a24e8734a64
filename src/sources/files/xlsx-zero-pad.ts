/**
 * A number format made of zeros alone, or groups of zeros joined by hyphens, shows a code, not a
 * quantity: Excel's Zip Code (`00000`), Zip Code + 4 (`00000-0000`) and Social Security Number
 * (`000-00-0000`) formats, or `000000` for an id. The cell holds 2134; the user sees, and a CSV
 * export of the sheet writes, 02134. The leading zeros are the value the user means.
 */

/** The sizes of the zero groups of such a format code (`000\-00\-0000` → [3, 2, 4]); undefined for another. */
export function zeroGroups(code: string | undefined): number[] | undefined {
  if (code === undefined) return undefined;
  const plain = code.replace(/\\-|"-"/g, '-');
  if (!/^0+(?:-0+)*$/.test(plain) || plain === '0') return undefined; // `0` alone pads nothing
  return plain.split('-').map((group) => group.length);
}

/**
 * The text the format shows for a whole number that is not negative, its digits filling the
 * groups from the right and the first group taking any more (`123456789` → `123-45-6789`);
 * undefined for another number, which the format would show otherwise (a sign, a fraction).
 */
export function zeroPadded(value: number, groups: readonly number[]): string | undefined {
  if (!Number.isSafeInteger(value) || value < 0 || Object.is(value, -0)) return undefined;
  const width = groups.reduce((sum, size) => sum + size, 0);
  const digits = String(value).padStart(width, '0');
  const parts: string[] = [];
  let end = digits.length;
  for (let i = groups.length - 1; i > 0; i--) {
    parts.unshift(digits.slice(end - (groups[i] as number), end));
    end -= groups[i] as number;
  }
  parts.unshift(digits.slice(0, end));
  return parts.join('-');
}
