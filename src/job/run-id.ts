/**
 * A UUIDv7-shaped run id: time-ordered, so run ids sort by start. Math.random is enough for
 * telling runs apart, and avoids loading node:crypto (slow to load) on every start.
 */
export function newRunId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const variant = (8 + Math.floor(Math.random() * 4)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

function hex(digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}
