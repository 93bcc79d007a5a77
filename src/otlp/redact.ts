// Sanitisation of process.command_line (emitted only with otlpCommandLine: command lines carry
// secrets). The built-in rules always apply; otlpCommandLineRedact adds patterns of its own.
// A redacted value becomes REDACTED; flag names, keys, URL schemes, users and hosts stay, so the
// line still says what ran.
//   --password=x, --api-key=x, DB_PASSWORD=x, --set=db.password=x   → the value after '='
//   --password x, --token x (next argument)                        → that argument
//   -p x (e.g. mysql -p)                                           → that argument
//   scheme://user:pass@host                                        → the password
//   http(s)://token@host                                           → the user part
//   Authorization: Bearer x (curl -H, wget --header)               → the credential
// Secret-like key: contains password, passwd, passphrase, pass, pwd, secret, token, apikey,
// api_key/api-key, access_key, private_key, credential(s) or auth as a whole word part
// (separated by '-', '_' or '.': DB_PASSWORD, auth-token; not "passive" or "author").

export const REDACTED = '***';

const SECRET_WORD = '(?:password|passwd|passphrase|pass|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credentials?|auth)';
/** A key whose '-', '_' or '.' separated parts include a secret word. */
const SECRET_KEY = `(?:[\\w.-]*[-_.])?${SECRET_WORD}(?:[-_.][\\w.-]*)?`;

interface Rule { re: RegExp; replace: (m: string, ...groups: string[]) => string }

const BUILTIN: readonly Rule[] = [
  // scheme://user:password@ → keep the user.
  { re: /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, replace: (_m, scheme, user) => `${scheme}${user}:${REDACTED}@` },
  // http(s)://token@ (a user part alone is how tokens are passed to git/curl over HTTP).
  { re: /(https?:\/\/)([^\s/@:]+)@/gi, replace: (_m, scheme) => `${scheme}${REDACTED}@` },
  // Authorization / Proxy-Authorization header values, with or without a scheme word.
  { re: /((?:proxy-)?authorization\s*:\s*(?:(?:bearer|basic|token|digest|negotiate)\s+)?)([^\s'"]+)/gi, replace: (_m, head) => `${head}${REDACTED}` },
  // key=value and --key=value, also inside another value (--set=db.password=x).
  { re: new RegExp(`((?:^|[\\s=,;&?])-{0,2}${SECRET_KEY}=)([^\\s&,;]+)`, 'gi'), replace: (_m, head) => `${head}${REDACTED}` },
  // --key value (the next argument, unless it is another flag).
  { re: new RegExp(`((?:^|\\s)--?${SECRET_KEY}\\s+)(?!-)(\\S+)`, 'gi'), replace: (_m, head) => `${head}${REDACTED}` },
  // -p value (mysql, mysqladmin, ...: the password as the next argument).
  { re: /((?:^|\s)-p\s+)(?!-)(\S+)/g, replace: (_m, head) => `${head}${REDACTED}` },
];

export class RedactPatternError extends Error {
  constructor(readonly pattern: string, readonly reason: string) {
    super(`otlpCommandLineRedact (--otlp-command-line-redact): pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'RedactPatternError';
  }
}

/**
 * Compile extra patterns (JavaScript regular expressions, case-insensitive): with capture groups,
 * the text of each group is replaced; without, the whole match. Throws RedactPatternError.
 */
export function compileRedactPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    if (p === '') throw new RedactPatternError(p, 'empty pattern');
    let re: RegExp;
    try { re = new RegExp(p, 'gid'); } catch (e) { throw new RedactPatternError(p, (e as Error).message); }
    if (re.test('')) throw new RedactPatternError(p, 'matches the empty string');
    return re;
  });
}

/** Replace the groups of every match of `re` in `s` (or the whole match without groups). */
function applyPattern(s: string, re: RegExp): string {
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const idx = m.indices!;
    const spans = idx.length > 1 ? idx.slice(1).filter((x): x is [number, number] => x !== undefined) : [idx[0]!];
    for (const [a, b] of spans) {
      if (a < last) continue; // nested or overlapping group: already replaced
      out += s.slice(last, a) + REDACTED;
      last = b;
    }
    if (m[0] === '') re.lastIndex++;
  }
  return out + s.slice(last);
}

/** A sanitiser: built-in rules, then the extra patterns. Never throws. */
export function commandLineRedactor(extra: readonly RegExp[] = []): (s: string) => string {
  return (s: string): string => {
    let out = s;
    for (const r of BUILTIN) out = out.replace(r.re, r.replace as (m: string, ...a: string[]) => string);
    for (const re of extra) out = applyPattern(out, re);
    return out;
  };
}

export const redactCommandLine = commandLineRedactor();
