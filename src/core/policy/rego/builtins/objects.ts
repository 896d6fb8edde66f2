// Object builtins: object.get/keys/union/union_n/remove/filter/subset and the JSON-path builtins
// json.filter, json.remove and json.patch (RFC 6902 over Rego values).

import { ObjectValue, SetValue, equals, typeName, type ArrayValue, type Value } from '../value.js';
import { arr, obj } from './args.js';
import { T, builtinError, defaultRegistry, operandTypeError, typeError, type BuiltinDefinition } from './registry.js';

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

/** A path operand element: "a/b/c" (JSON-pointer escapes ~0 ~1) or an array of segments. */
function toPath(name: string, p: Value): Value[] {
  if (typeof p === 'string') {
    const trimmed = p.replace(/^\/+|\/+$/g, '');
    if (trimmed === '') return [];
    return trimmed.split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return [...(p as ArrayValue)];
  throw typeError(name, `path must be string or array but got ${typeName(p)}`);
}

function paths(name: string, v: Value): Value[][] {
  if (Array.isArray(v)) return (v as ArrayValue).map((p) => toPath(name, p));
  if (v instanceof SetValue) return v.values().map((p) => toPath(name, p));
  throw operandTypeError(name, 2, v, 'array', 'set');
}

interface PathTree {
  leaf: boolean;
  children: Map<string, { seg: Value; tree: PathTree }>;
}

function buildTree(ps: Value[][]): PathTree {
  const root: PathTree = { leaf: false, children: new Map() };
  for (const p of ps) {
    let node = root;
    for (const seg of p) {
      const k = JSON.stringify(typeof seg === 'string' ? seg : String(seg));
      let child = node.children.get(k);
      if (!child) node.children.set(k, (child = { seg, tree: { leaf: false, children: new Map() } }));
      node = child.tree;
    }
    node.leaf = true;
  }
  return root;
}

function segIndex(seg: Value): number | undefined {
  const n = typeof seg === 'number' ? seg : typeof seg === 'string' && /^\d+$/.test(seg) ? Number(seg) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

function objGet(o: ObjectValue, seg: Value): [Value, Value] | undefined {
  const direct = o.get(seg);
  if (direct !== undefined) return [seg, direct];
  if (typeof seg === 'string') {
    for (const [k, v] of o.unorderedEntries()) if (typeof k !== 'string' && String(k) === seg) return [k, v];
  }
  return undefined;
}

function filterTree(v: Value, tree: PathTree): Value | undefined {
  if (tree.leaf) return v;
  if (v instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const { seg, tree: t } of tree.children.values()) {
      const hit = objGet(v, seg);
      if (!hit) continue;
      const f = filterTree(hit[1], t);
      if (f !== undefined) out.set(hit[0], f);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const a = v as ArrayValue;
    const picks: Array<[number, Value]> = [];
    for (const { seg, tree: t } of tree.children.values()) {
      const i = segIndex(seg);
      if (i === undefined || i >= a.length) continue;
      const f = filterTree(a[i], t);
      if (f !== undefined) picks.push([i, f]);
    }
    return picks.sort((x, y) => x[0] - y[0]).map((p) => p[1]);
  }
  if (v instanceof SetValue) {
    const out = new SetValue();
    for (const { seg, tree: t } of tree.children.values()) {
      if (!v.has(seg)) continue;
      const f = filterTree(seg, t);
      if (f !== undefined) out.add(f);
    }
    return out;
  }
  return undefined;
}

function removeTree(v: Value, tree: PathTree): Value | undefined {
  if (tree.leaf) return undefined;
  if (v instanceof ObjectValue) {
    const out = new ObjectValue();
    for (const [k, x] of v.unorderedEntries()) {
      const child = tree.children.get(JSON.stringify(typeof k === 'string' ? k : String(k)));
      if (!child) out.set(k, x);
      else {
        const r = removeTree(x, child.tree);
        if (r !== undefined) out.set(k, r);
      }
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    (v as ArrayValue).forEach((x, i) => {
      const child = tree.children.get(JSON.stringify(String(i)));
      if (!child) out.push(x);
      else {
        const r = removeTree(x, child.tree);
        if (r !== undefined) out.push(r);
      }
    });
    return out;
  }
  if (v instanceof SetValue) {
    const out = new SetValue();
    for (const x of v.values()) {
      const child = tree.children.get(JSON.stringify(typeof x === 'string' ? x : String(x)));
      if (!child) out.add(x);
      else {
        const r = removeTree(x, child.tree);
        if (r !== undefined) out.add(r);
      }
    }
    return out;
  }
  return v;
}

// ---- json.patch -----------------------------------------------------------------------------

class PatchFailure extends Error {}

function patchPath(p: Value | undefined): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    if (!p.startsWith('/')) throw new PatchFailure('invalid path');
    return p
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return [...(p as ArrayValue)];
  throw new PatchFailure('invalid path');
}

/** Returns a copy of `doc` with `fn` applied to the container holding path's last segment. */
function atPath(doc: Value, path: Value[], fn: (parent: Value, seg: Value) => Value): Value {
  if (path.length === 0) throw new PatchFailure('empty path');
  const [seg, ...rest] = path;
  if (rest.length === 0) return fn(doc, seg);
  if (doc instanceof ObjectValue) {
    const child = objGet(doc, seg);
    if (!child) throw new PatchFailure('path not found');
    return doc.copy().set(child[0], atPath(child[1], rest, fn));
  }
  if (Array.isArray(doc)) {
    const i = segIndex(seg);
    const a = doc as ArrayValue;
    if (i === undefined || i >= a.length) throw new PatchFailure('path not found');
    const out = [...a];
    out[i] = atPath(a[i], rest, fn);
    return out;
  }
  throw new PatchFailure('path not found');
}

function getAt(doc: Value, path: Value[]): Value {
  let cur: Value = doc;
  for (const seg of path) {
    let next: Value | undefined;
    if (cur instanceof ObjectValue) next = objGet(cur, seg)?.[1];
    else if (Array.isArray(cur)) {
      const i = segIndex(seg);
      next = i === undefined ? undefined : (cur as ArrayValue)[i];
    } else if (cur instanceof SetValue) next = cur.has(seg) ? seg : undefined;
    if (next === undefined) throw new PatchFailure('path not found');
    cur = next;
  }
  return cur;
}

function addAt(doc: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  return atPath(doc, path, (parent, seg) => {
    if (parent instanceof ObjectValue) return parent.copy().set(objGet(parent, seg)?.[0] ?? seg, value);
    if (Array.isArray(parent)) {
      const a = [...(parent as ArrayValue)];
      const i = seg === '-' ? a.length : segIndex(seg);
      if (i === undefined || i > a.length) throw new PatchFailure('index out of range');
      a.splice(i, 0, value);
      return a;
    }
    if (parent instanceof SetValue) {
      const s = new SetValue(parent.values());
      s.add(value);
      return s;
    }
    throw new PatchFailure('path not found');
  });
}

function removeAt(doc: Value, path: Value[]): Value {
  return atPath(doc, path, (parent, seg) => {
    if (parent instanceof ObjectValue) {
      const hit = objGet(parent, seg);
      if (!hit) throw new PatchFailure('path not found');
      const o = parent.copy();
      o.delete(hit[0]);
      return o;
    }
    if (Array.isArray(parent)) {
      const i = segIndex(seg);
      if (i === undefined || i >= parent.length) throw new PatchFailure('index out of range');
      const a = [...(parent as ArrayValue)];
      a.splice(i, 1);
      return a;
    }
    if (parent instanceof SetValue) {
      if (!parent.has(seg)) throw new PatchFailure('path not found');
      const s = new SetValue(parent.values());
      s.delete(seg);
      return s;
    }
    throw new PatchFailure('path not found');
  });
}

export function applyPatch(doc: Value, patches: ArrayValue): Value | undefined {
  try {
    let cur = doc;
    for (const p of patches) {
      if (!(p instanceof ObjectValue)) return undefined;
      const op = p.get('op');
      const path = patchPath(p.get('path'));
      const value = p.get('value');
      switch (op) {
        case 'add':
          if (value === undefined) return undefined;
          cur = addAt(cur, path, value);
          break;
        case 'remove':
          cur = removeAt(cur, path);
          break;
        case 'replace':
          if (value === undefined) return undefined;
          getAt(cur, path);
          cur = path.length === 0 ? value : addAt(removeAt(cur, path), path, value);
          break;
        case 'move': {
          const from = patchPath(p.get('from'));
          const v = getAt(cur, from);
          cur = addAt(removeAt(cur, from), path, v);
          break;
        }
        case 'copy':
          cur = addAt(cur, path, getAt(cur, patchPath(p.get('from'))));
          break;
        case 'test':
          if (value === undefined || !equals(getAt(cur, path), value)) return undefined;
          break;
        default:
          return undefined;
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
      return filterTree(o, buildTree(paths('json.filter', args[1]))) ?? new ObjectValue();
    },
  },
  {
    name: 'json.remove',
    args: [T.object(), T.union(T.array(), T.set())],
    result: T.any,
    impl: (args) => {
      const o = obj('json.remove', args, 0);
      return removeTree(o, buildTree(paths('json.remove', args[1])));
    },
  },
  {
    name: 'json.patch',
    args: [T.any, T.array(T.object())],
    result: T.any,
    impl: (args) => {
      const patches = arr('json.patch', args, 1);
      const out = applyPatch(args[0], patches);
      if (out === undefined) throw builtinError('json.patch', 'patch could not be applied');
      return out;
    },
  },
];

defaultRegistry.registerAll(objectBuiltins);
