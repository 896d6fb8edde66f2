// Intersection test for the restricted regex-globs of regex.globs_match (the syntax of Go's
// yashtewari/glob-intersection): `.` any character, `[abc]`/`[a-z]` sets, literal characters,
// `\` escapes, and `*`/`+` after a token. Written here because no JS package implements it;
// the check is a product-automaton reachability search, O(len(a) × len(b)).

type Atom = { kind: 'dot' } | { kind: 'char'; c: number } | { kind: 'set'; cs: ReadonlySet<number> };
interface Token {
  atom: Atom;
  star: boolean;
}

class GlobSyntaxError extends Error {}

function invalid(pos: number, msg: string): GlobSyntaxError {
  return new GlobSyntaxError(`the input provided is invalid: pos:${pos}:${msg}`);
}

/** Tokens of a glob with `x+` expanded to `x x*`. */
function tokenize(glob: string): Token[] {
  const rs = [...glob].map((c) => c.codePointAt(0) as number);
  const out: Token[] = [];
  let i = 0;
  const next = (): { r: number; escaped: boolean } => {
    if (rs[i] === 0x5c) {
      if (i === rs.length - 1) throw invalid(i, 'input ends with a \\ (escape) character');
      i += 2;
      return { r: rs[i - 1], escaped: true };
    }
    return { r: rs[i++], escaped: false };
  };
  let last: Atom | undefined;
  while (i < rs.length) {
    const { r, escaped } = next();
    const ch = String.fromCodePoint(r);
    if (!escaped && (ch === '*' || ch === '+')) {
      if (!last) throw invalid(i, `flag '${ch}' must be preceded by a non-flag`);
      if (ch === '*') out[out.length - 1].star = true;
      else out.push({ atom: last, star: true });
      last = undefined;
      continue;
    }
    let atom: Atom;
    if (!escaped && ch === '.') atom = { kind: 'dot' };
    else if (!escaped && ch === ']') throw invalid(i, "set-close ']' with no preceding '['");
    else if (!escaped && ch === '[') atom = readSet();
    else atom = { kind: 'char', c: r };
    out.push({ atom, star: false });
    last = atom;
  }
  return out;

  function readSet(): Atom {
    const cs = new Set<number>();
    let prev: number | undefined;
    while (i < rs.length) {
      const { r, escaped } = next();
      if (!escaped && r === 0x5d) return { kind: 'set', cs };
      if (!escaped && r === 0x2d) {
        if (prev === undefined) throw invalid(i, "range character '-' must be preceded by a Unicode character");
        if (i >= rs.length) throw invalid(i, "range character '-' must be followed by a Unicode character");
        const hi = next();
        if (!hi.escaped && (hi.r === 0x5d || hi.r === 0x2d)) throw invalid(i, "range character '-' cannot be followed by a special symbol");
        if (hi.r < prev) throw invalid(i, 'range is out of order');
        for (let x = prev; x <= hi.r; x++) cs.add(x);
        prev = undefined;
        continue;
      }
      cs.add(r);
      prev = r;
    }
    throw invalid(i, 'found [ without matching ]');
  }
}

function compatible(a: Atom, b: Atom): boolean {
  if (a.kind === 'dot') return b.kind !== 'set' || b.cs.size > 0;
  if (b.kind === 'dot') return compatible(b, a);
  if (a.kind === 'char') return b.kind === 'char' ? a.c === b.c : b.cs.has(a.c);
  if (b.kind === 'char') return a.cs.has(b.c);
  for (const c of a.cs) if (b.cs.has(c)) return true;
  return false;
}

/** Whether some string matches both globs, or the syntax error message for an invalid glob. */
export function globsIntersect(a: string, b: string): boolean | string {
  let ta: Token[];
  let tb: Token[];
  try {
    ta = tokenize(a);
    tb = tokenize(b);
  } catch (e) {
    if (e instanceof GlobSyntaxError) return e.message;
    throw e;
  }
  const w = tb.length + 1;
  const seen = new Uint8Array((ta.length + 1) * w);
  const stack: number[] = [0];
  seen[0] = 1;
  const push = (i: number, j: number): void => {
    const k = i * w + j;
    if (!seen[k]) {
      seen[k] = 1;
      stack.push(k);
    }
  };
  while (stack.length > 0) {
    const k = stack.pop() as number;
    const i = Math.floor(k / w);
    const j = k % w;
    if (i === ta.length && j === tb.length) return true;
    const x = ta[i];
    const y = tb[j];
    if (x?.star) push(i + 1, j);
    if (y?.star) push(i, j + 1);
    if (x && y && compatible(x.atom, y.atom)) push(x.star ? i : i + 1, y.star ? j : j + 1);
  }
  return false;
}
