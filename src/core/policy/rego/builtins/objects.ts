// Object builtins: object.get/keys/union/union_n/remove/filter/subset and the JSON-path builtins
// json.filter, json.remove and json.patch (RFC 6902 over Rego values).

import { ObjectValue, SetValue, equals, typeName, type ArrayValue, type Value } from '../value.js';
import { arr, obj } from './args.js';
import { T, defaultRegistry, operandTypeError, typeError, type BuiltinDefinition } from './registry.js';

/** Keys named by object.remove/object.filter's second operand: array/set elements or object keys. */
function keySet(name: string, v: Value): SetValue {
  if (Array.isArray(v)) return new SetValue(v as ArrayValue);
  if (v instanceof SetValue) return v;
  if (v instanceof ObjectValue) return new SetValue(v.keys());
  throw operandTypeError(name, 2, v, 'object', 'set', 'array');
}

/** Recursive merge: b wins, except nested objects present on both sides are merged. */
export function mergeObjects(a: ObjectValue, b: ObjectValue): ObjectValue {
  const out = a.copy();
  for (const [k, bv] of b.unorderedEntries()) {
    const av = out.get(k);
    out.set(k, av instanceof ObjectValue && bv instanceof ObjectValue ? mergeObjects(av, bv) : bv);
  }
  return out;
}

/** Looks a value up by a path of keys/indices through objects, arrays and sets. */
function lookupPath(v: Value, path: ArrayValue): Value | undefined {
  let cur: Value | undefined = v;
  for (const seg of path) {
    if (cur instanceof ObjectValue) cur = cur.get(seg);
    else if (Array.isArray(cur)) cur = typeof seg === 'number' && Number.isInteger(seg) ? (cur as ArrayValue)[seg] : undefined;
    else if (cur instanceof SetValue) cur = cur.has(seg) ? seg : undefined;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function subset(sup: Value, sub: Value): boolean {
  if (sup instanceof ObjectValue && sub instanceof ObjectValue) {
    for (const [k, sv] of sub.unorderedEntries()) {
      const pv = sup.get(k);
      if (pv === undefined) return false;
      const sameKind =
        (pv instanceof ObjectValue && sv instanceof ObjectValue) ||
        (pv instanceof SetValue && sv instanceof SetValue) ||
        (Array.isArray(pv) && Array.isArray(sv));
      if (sameKind ? !subset(pv, sv) : !equals(pv, sv)) return false;
    }
    return true;
  }
  if (sup instanceof SetValue && sub instanceof SetValue) {
    for (const v of sub.unorderedValues()) if (!sup.has(v)) return false;
    return true;
  }
  if (Array.isArray(sup) && sub instanceof SetValue) {
    const s = new SetValue(sup as ArrayValue);
    for (const v of sub.unorderedValues()) if (!s.has(v)) return false;
    return true;
  }
  if (Array.isArray(sup) && Array.isArray(sub)) {
    const p = sup as ArrayValue;
    const q = sub as ArrayValue;
    if (q.length === 0) return true;
    outer: for (let i = 0; i + q.length <= p.length; i++) {
      for (let j = 0; j < q.length; j++) if (!equals(p[i + j], q[j])) continue outer;
      return true;
    }
    return false;
  }
  throw typeError('object.subset', 'both arguments to object.subset must be of the same type or array and set');
}

// ---- JSON paths -----------------------------------------------------------------------------

/**
 * A path operand element as OPA's parsePath reads it: "a/b/c" (leading slashes dropped, JSON-pointer
 * escapes ~1 and ~0, every segment a string) or an array of segments used as they are.
 */
function toPath(name: string, p: Value): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  if (Array.isArray(p)) return [...(p as ArrayValue)];
  throw typeError(name, `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`);
}

function paths(name: string, v: Value): Value[][] {
  if (Array.isArray(v)) return (v as ArrayValue).map((p) => toPath(name, p));
  if (v instanceof SetValue) return v.values().map((p) => toPath(name, p));
  throw operandTypeError(name, 2, v, 'set', 'array');
}

/**
 * OPA's pathsToObject: the paths as a tree of objects keyed by segment (exact keys: 1 and "1"
 * differ), `null` marking where a path ends. A path ending above another wins; empty paths are
 * skipped.
 */
function pathTree(ps: Value[][]): ObjectValue {
  const root = new ObjectValue();
  for (const p of ps) {
    if (p.length === 0) continue;
    let node = root;
    let done = false;
    for (let i = 0; i < p.length - 1 && !done; i++) {
      const child = node.get(p[i]);
      if (child === undefined) {
        const next = new ObjectValue();
        node.set(p[i], next);
        node = next;
      } else if (child instanceof ObjectValue) node = child;
      else done = true;
    }
    if (!done) node.set(p[p.length - 1], null);
  }
  return root;
}

/** OPA's Object.Filter: keeps what the tree names; array elements are named by their index as a string. */
function filterTree(v: Value, filter: Value): Value {
  if (!(filter instanceof ObjectValue)) return v;
  if (v instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const [k, x] of v.entries()) {
      const sub = filter.get(k);
      if (sub !== undefined) out.set(k, filterTree(x, sub));
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    (v as ArrayValue).forEach((x, i) => {
      const sub = filter.get(String(i));
      if (sub !== undefined) out.push(filterTree(x, sub));
    });
    return out;
  }
  if (v instanceof SetValue) {
    const out = new SetValue();
    for (const x of v.values()) {
      const sub = filter.get(x);
      if (sub !== undefined) out.add(filterTree(x, sub));
    }
    return out;
  }
  return v;
}

/** OPA's jsonRemove: drops what the tree names (undefined = the whole value is removed). */
function removeTree(v: Value, tree: Value | undefined): Value | undefined {
  if (tree === undefined) return v;
  if (tree === null) return undefined;
  if (!(tree instanceof ObjectValue)) return v;
  if (v instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const [k, x] of v.entries()) {
      const r = removeTree(x, tree.get(k));
      if (r !== undefined) out.set(k, r);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    (v as ArrayValue).forEach((x, i) => {
      const r = removeTree(x, tree.get(String(i)));
      if (r !== undefined) out.push(r);
    });
    return out;
  }
  if (v instanceof SetValue) {
    const out = new SetValue();
    for (const x of v.values()) {
      const r = removeTree(x, tree.get(x));
      if (r !== undefined) out.add(r);
    }
    return out;
  }
  return v;
}

// ---- json.patch -----------------------------------------------------------------------------

/*
 * RFC 6902 over Rego values with the semantics of OPA's edit tree (topdown/json.go + edittree):
 * any malformed patch or failed operation makes the whole call undefined (never an error);
 * objects match keys exactly, sets address members by value (an added member must equal its
 * key), array indices are integers or decimal strings without leading zeros ("-" = append).
 * Removing the root leaves nothing, which a later root `add` may fill again.
 */

class PatchFailure extends Error {}

const fail = (why: string): never => {
  throw new PatchFailure(why);
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** edittree's toIndex: an integer, "-" (the length), or a decimal string without leading zeros. */
function toIndex(length: number, key: Value): number {
  let b: bigint | undefined;
  if (typeof key === 'number' || typeof key === 'bigint') {
    b = typeof key === 'bigint' ? key : Number.isInteger(key) ? BigInt(key) : undefined;
  } else if (typeof key === 'string') {
    if (key === '-') return length;
    if (/^[+-]?\d+$/.test(key)) b = BigInt(key);
    if (key !== '0' && key.startsWith('0')) fail('leading zeros are not allowed in JSON paths');
  }
  if (b === undefined || b < INT64_MIN || b > INT64_MAX) return fail('invalid index');
  return Number(b);
}

/** The child of a composite node under `key`, or a failure. */
function childOf(node: Value, key: Value): Value {
  if (node instanceof ObjectValue) return node.get(key) ?? fail('no such key');
  if (node instanceof SetValue) return node.has(key) ? key : fail('no such member');
  if (Array.isArray(node)) {
    const i = toIndex(node.length, key);
    return i >= 0 && i < node.length ? (node as ArrayValue)[i] : fail('index out of range');
  }
  return fail('not a composite');
}

/** Replaces the child under `key` (which exists) by `value`. */
function withChild(node: Value, key: Value, value: Value): Value {
  if (node instanceof ObjectValue) return node.copy().set(key, value);
  if (node instanceof SetValue) {
    const s = new SetValue(node.values());
    s.delete(key);
    s.add(value);
    return s;
  }
  const a = [...(node as ArrayValue)];
  a[toIndex(a.length, key)] = value;
  return a;
}

/** Applies fn to the node at path (which must exist), rebuilding the containers above it. */
function updateAt(node: Value, path: readonly Value[], fn: (target: Value) => Value): Value {
  if (path.length === 0) return fn(node);
  const [key, ...rest] = path;
  return withChild(node, key, updateAt(childOf(node, key), rest, fn));
}

function insertChild(node: Value, key: Value, value: Value): Value {
  if (node instanceof ObjectValue) return node.copy().set(key, value);
  if (node instanceof SetValue) {
    if (!equals(key, value)) fail('set key does not equal the value inserted');
    const s = new SetValue(node.values());
    s.add(value);
    return s;
  }
  if (Array.isArray(node)) {
    const i = toIndex(node.length, key);
    if (i < 0 || i > node.length) fail('index out of range');
    const a = [...(node as ArrayValue)];
    a.splice(i, 0, value);
    return a;
  }
  return fail('not a composite');
}

function deleteChild(node: Value, key: Value): Value {
  if (node instanceof ObjectValue) {
    if (!node.has(key)) fail('no such key');
    const o = node.copy();
    o.delete(key);
    return o;
  }
  if (node instanceof SetValue) {
    if (!node.has(key)) fail('no such member');
    const s = new SetValue(node.values());
    s.delete(key);
    return s;
  }
  if (Array.isArray(node)) {
    const i = toIndex(node.length, key);
    if (i < 0 || i >= node.length) fail('index out of range');
    const a = [...(node as ArrayValue)];
    a.splice(i, 1);
    return a;
  }
  return fail('not a composite');
}

/** A document being patched; undefined once the root has been removed. */
type Doc = Value | undefined;

function insertAt(doc: Doc, path: Value[], value: Value | undefined): Value {
  if (value === undefined) return fail('nothing to insert');
  if (path.length === 0) return value;
  if (doc === undefined) return fail('root was removed');
  return updateAt(doc, path.slice(0, -1), (n) => insertChild(n, path[path.length - 1], value));
}

function deleteAt(doc: Doc, path: Value[]): Doc {
  if (doc === undefined) return fail('root was removed');
  if (path.length === 0) return undefined;
  return updateAt(doc, path.slice(0, -1), (n) => deleteChild(n, path[path.length - 1]));
}

function getAt(doc: Doc, path: Value[]): Value | undefined {
  if (path.length === 0) return doc;
  if (doc === undefined) return fail('root was removed');
  let cur: Value = doc;
  for (const key of path) cur = childOf(cur, key);
  return cur;
}

/** OPA's parsePath for patch paths (json.filter's reading; other types fail the patch). */
function patchPath(p: Value): Value[] {
  if (typeof p !== 'string' && !Array.isArray(p)) return fail('invalid path');
  return toPath('json.patch', p);
}

const PATCH_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** The attribute or a failure ("missing 'x' attribute"). */
function attribute(p: ObjectValue, name: string): Value {
  const v = p.get(name);
  return v === undefined ? fail(`missing '${name}' attribute`) : v;
}

/** Applies the patches in order; undefined when any of them is malformed or does not apply. */
export function applyPatch(doc: Value, patches: ArrayValue): Value | undefined {
  try {
    let cur: Doc = doc;
    for (const p of patches) {
      if (!(p instanceof ObjectValue)) return undefined;
      const op = attribute(p, 'op');
      if (typeof op !== 'string' || !PATCH_OPS.has(op)) return undefined;
      const rawPath = attribute(p, 'path');
      const from = op === 'move' || op === 'copy' ? attribute(p, 'from') : undefined;
      const value = op === 'add' || op === 'replace' || op === 'test' ? attribute(p, 'value') : undefined;
      const path = patchPath(rawPath);
      switch (op) {
        case 'add':
          cur = insertAt(cur, path, value);
          break;
        case 'remove':
          cur = deleteAt(cur, path);
          break;
        case 'replace':
          cur = insertAt(deleteAt(cur, path), path, value);
          break;
        case 'move': {
          const src = patchPath(from as Value);
          const chunk = getAt(cur, src);
          cur = insertAt(deleteAt(cur, src), path, chunk);
          break;
        }
        case 'copy':
          cur = insertAt(cur, path, getAt(cur, patchPath(from as Value)));
          break;
        default: {
          const actual = getAt(cur, path);
          if (actual === undefined || !equals(actual, value as Value)) return undefined;
        }
      }
    }
    return cur;
  } catch (e) {
    if (e instanceof PatchFailure) return undefined;
    throw e;
  }
}

export const objectBuiltins: BuiltinDefinition[] = [
  {
    name: 'object.get',
    args: [T.object(), T.any, T.any],
    result: T.any,
    impl: (args) => {
      const o = obj('object.get', args, 0);
      const [, key, dflt] = args;
      if (Array.isArray(key)) return lookupPath(o, key as ArrayValue) ?? dflt;
      return o.get(key) ?? dflt;
    },
  },
  {
    name: 'object.keys',
    args: [T.object()],
    result: T.set(),
    impl: (args) => new SetValue(obj('object.keys', args, 0).keys()),
  },
  {
    name: 'object.union',
    args: [T.object(), T.object()],
    result: T.object(),
    impl: (args) => mergeObjects(obj('object.union', args, 0), obj('object.union', args, 1)),
  },
  {
    name: 'object.union_n',
    args: [T.array(T.object())],
    result: T.object(),
    impl: (args) => {
      let out = new ObjectValue();
      for (const o of arr('object.union_n', args, 0)) {
        if (!(o instanceof ObjectValue)) throw operandTypeError('object.union_n', 1, o, 'object');
        out = mergeObjects(out, o);
      }
      return out;
    },
  },
  {
    name: 'object.remove',
    args: [T.object(), T.union(T.array(), T.set(), T.object())],
    result: T.object(),
    impl: (args) => {
      const o = obj('object.remove', args, 0);
      const keys = keySet('object.remove', args[1]);
      const out = new ObjectValue();
      for (const [k, v] of o.entries()) if (!keys.has(k)) out.set(k, v);
      return out;
    },
  },
  {
    name: 'object.filter',
    args: [T.object(), T.union(T.array(), T.set(), T.object())],
    result: T.object(),
    impl: (args) => {
      const o = obj('object.filter', args, 0);
      const keys = keySet('object.filter', args[1]);
      const out = new ObjectValue();
      for (const [k, v] of o.entries()) if (keys.has(k)) out.set(k, v);
      return out;
    },
  },
  {
    name: 'object.subset',
    args: [T.union(T.object(), T.set(), T.array()), T.union(T.object(), T.set(), T.array())],
    result: T.boolean,
    impl: (args) => subset(args[0], args[1]),
  },
  {
    name: 'json.filter',
    args: [T.object(), T.union(T.array(), T.set())],
    result: T.any,
    impl: (args) => {
      const o = obj('json.filter', args, 0);
      return filterTree(o, pathTree(paths('json.filter', args[1])));
    },
  },
  {
    name: 'json.remove',
    args: [T.object(), T.union(T.array(), T.set())],
    result: T.any,
    impl: (args) => {
      const o = obj('json.remove', args, 0);
      return removeTree(o, pathTree(paths('json.remove', args[1])));
    },
  },
  {
    name: 'json.patch',
    args: [T.any, T.array(T.object())],
    result: T.any,
    impl: (args) => {
      // OPA: a patch that is malformed or does not apply is undefined, not an error.
      return applyPatch(args[0], arr('json.patch', args, 1));
    },
  },
];

defaultRegistry.registerAll(objectBuiltins);
