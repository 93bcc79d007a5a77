// Go `path/filepath.Match` semantics (the glob KubeArmor's user-space matcher applies to
// matchPatterns): `*` any run of non-'/' characters, `?` one non-'/' character, `[...]` a class
// (`^` negates, `a-z` ranges), `\` escapes. The whole string must match. A malformed pattern
// (ErrBadPattern) matches nothing.

const cache = new Map<string, RegExp | null>();

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

export function globToRegExp(pattern: string): RegExp | null {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let re = '^';
  let ok = true;
  for (let i = 0; i < pattern.length && ok; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) { ok = false; break; }
      re += escapeRe(pattern[i] as string);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') { cls += '^'; j++; }
      let n = 0;
      for (;;) {
        if (j >= pattern.length) { ok = false; break; }
        let ch = pattern[j] as string;
        if (ch === ']' && n > 0) break;
        if (ch === '\\') { j++; if (j >= pattern.length) { ok = false; break; } ch = pattern[j] as string; }
        else if (ch === ']' || ch === '-') { ok = false; break; }
        let lo = ch;
        cls += escapeRe(lo);
        j++;
        if (pattern[j] === '-') {
          j++;
          let hi = pattern[j];
          if (hi === undefined || hi === ']') { ok = false; break; }
          if (hi === '\\') { j++; hi = pattern[j]; if (hi === undefined) { ok = false; break; } }
          if (hi < lo) { ok = false; break; }
          cls += `-${escapeRe(hi)}`;
          j++;
          lo = hi;
        }
        n++;
      }
      if (!ok) break;
      re += `${cls}]`;
      i = j;
    } else re += escapeRe(c);
  }
  const out = ok ? new RegExp(`${re}$`, 's') : null;
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, out);
  return out;
}

/** filepath.Match(pattern, name); false for a malformed pattern. */
export function goGlobMatch(pattern: string, name: string): boolean {
  const re = globToRegExp(pattern);
  return re !== null && re.test(name);
}
