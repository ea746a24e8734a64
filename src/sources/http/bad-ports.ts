/**
 * The ports fetch will not connect to (WHATWG Fetch's "bad ports": those of other protocols, such
 * as 6000 for X11, 6665–6669 for IRC, 10080 for Amanda). Node's fetch fails such a request before
 * it is sent, with a TypeError that reads as a network error: retried, it would fail for ever.
 */
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** The port of an http(s) URL when fetch refuses it, else undefined. */
export function refusedPort(url: URL): number | undefined {
  const port = url.port === '' ? undefined : Number(url.port);
  return port !== undefined && BAD_PORTS.has(port) ? port : undefined;
}

/** What to say of a refused port, after the words that name the URL. */
export function refusedPortAdvice(port: number): string {
  return `port ${port} is one fetch refuses to connect to (the Fetch standard's "bad ports", kept for other protocols), so no request can be sent there: serve the API on another port, or put a reverse proxy before it`;
}
