// A word of the name (split at anything but a letter, and where camelCase turns upper) that ends
// in one of these: `Authorization`, `X-Api-Key`, `apikey`, `access_token`, `X-CSRFToken`, `sig`,
// `oauth`, `sessionid`. Words, not substrings, so that `author`, `keyword` or `design` are not
// taken for secrets: a query parameter's value taken for one is redacted from the stored rejects.
const SECRET_WORD =
  /(?:^|[^a-z])(?:[a-z]*(?:auth|token|key|secret|password|passwd|pwd|signature|sig|cookie|session|credentials?)(?:id)?|authorization|authentication|pass|passphrase)(?=$|[^a-z])/;

/** Whether a header or query parameter name says its value is a credential. */
export function isSecretName(name: string): boolean {
  return SECRET_WORD.test(name.replace(/([a-z\d])([A-Z])/g, '$1_$2').toLowerCase());
}
