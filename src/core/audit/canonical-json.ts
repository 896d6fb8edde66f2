// Canonical JSON (RFC 8785, JCS) for hashing audit events: one byte-exact text per JSON value.
// Written here rather than taken from npm: it is ~80 lines, must be exact, and the `canonicalize`
// package's current major requires Node 22 while Warden supports Node >= 20.19.

/**
 * Serialises `value` the way RFC 8785 specifies:
 * - object members sorted by their names' UTF-16 code units (JS's default string ordering), no whitespace;
 * - numbers in ECMAScript's shortest round-trip form (`Number.prototype.toString`: 1e+21, 0.1, -0 → 0);
 * - strings escaped as JSON.stringify does (\" \\ \b \f \n \r \t, other controls as \u00xx, the rest as is).
 *
 * Inputs that have no JSON meaning are rejected with a TypeError instead of being silently dropped or
 * rewritten: NaN/±Infinity, bigint, functions, symbols, `undefined` at the top level or in an array,
 * strings with lone surrogates (I-JSON, RFC 7493 §2.1), cycles, and non-plain objects (Map, Set, class
 * instances) without a `toJSON`. `undefined` object members are omitted, as JSON.stringify omits them;
 * objects with a `toJSON` method (Date) are serialised through it.
 */
export function canonicalJson(value: unknown): string {
  const w = new Writer();
  w.write(value);
  return w.out;
}

/**
 * One serialisation. Runs for every audited request, so it builds a single string and tracks the
 * current path as a segment stack: the `$.a[0].b` text is only assembled for an error message.
 */
class Writer {
  out = '';
  private readonly stack = new Set<object>();
  private readonly segments: (string | number)[] = [];

  private path(): string {
    let p = '$';
    for (const seg of this.segments) p += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
    return p;
  }

  write(value: unknown): void {
    if (value === null) {
      this.out += 'null';
      return;
    }
    switch (typeof value) {
      case 'boolean':
        this.out += value ? 'true' : 'false';
        return;
      case 'number':
        if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${this.path()} is ${value}, which JSON cannot represent`);
        // String(-0) is "0", as JCS requires; everything else is already the shortest round-trip form.
        this.out += String(value);
        return;
      case 'string':
        this.out += this.quote(value);
        return;
      case 'object':
        break;
      default:
        throw new TypeError(`canonical JSON: ${this.path()} is a ${typeof value}, which JSON cannot represent`);
    }

    const obj = value as object;
    const withToJson = obj as { toJSON?: unknown };
    if (typeof withToJson.toJSON === 'function') {
      this.write((withToJson.toJSON as (key: string) => unknown).call(obj, ''));
      return;
    }
    if (this.stack.has(obj)) throw new TypeError(`canonical JSON: ${this.path()} is a circular reference`);
    this.stack.add(obj);

    if (Array.isArray(obj)) {
      this.out += '[';
      for (let i = 0; i < obj.length; i++) {
        if (i > 0) this.out += ',';
        this.segments.push(i);
        const item: unknown = obj[i];
        if (item === undefined) throw new TypeError(`canonical JSON: ${this.path()} is undefined`);
        this.write(item);
        this.segments.pop();
      }
      this.out += ']';
    } else {
      const proto: unknown = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) {
        // A Map, Set, RegExp or class instance would serialise as {} or lose fields: refuse it.
        const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'non-plain object';
        throw new TypeError(`canonical JSON: ${this.path()} is a ${name}; pass plain objects and arrays`);
      }
      const record = obj as Record<string, unknown>;
      // Array.prototype.sort without a comparator orders by UTF-16 code units, exactly JCS's rule.
      const keys = Object.keys(record).sort();
      this.out += '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) this.out += ',';
        first = false;
        this.segments.push(key);
        this.out += this.quote(key);
        this.out += ':';
        this.write(member);
        this.segments.pop();
      }
      this.out += '}';
    }
    this.stack.delete(obj);
  }

  /** JSON string literal per JCS; rejects lone surrogates, which have no UTF-8 form to hash. */
  private quote(s: string): string {
    if (ANY_SURROGATE.test(s)) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff) {
          const next = s.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            i++;
            continue;
          }
          throw new TypeError(`canonical JSON: ${this.path()} contains a lone surrogate at index ${i}`);
        }
        if (c >= 0xdc00 && c <= 0xdfff) {
          throw new TypeError(`canonical JSON: ${this.path()} contains a lone surrogate at index ${i}`);
        }
      }
    }
    // With no lone surrogates left, JSON.stringify's escaping is the one JCS prescribes
    // (short escapes for \b \t \n \f \r \" \\, lowercase \u00xx for other C0 controls, nothing else).
    return JSON.stringify(s);
  }
}

/** Most strings hold no surrogate at all: one native scan decides whether the careful loop runs. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
