// CIDR builtins for IPv4 and IPv6 (Go's net.ParseIP/ParseCIDR rules): net.cidr_contains,
// cidr_intersects, cidr_is_valid, cidr_expand (bounded), cidr_merge and cidr_contains_matches.
// Addresses are bigints with a bit width, so containment and merging are exact integer math.

import { ObjectValue, SetValue, typeName, type ArrayValue, type Value } from '../value.js';
import { str } from './args.js';
import { T, builtinError, defaultRegistry, operandTypeError, type BuiltinDefinition } from './registry.js';

/** cidr_expand refuses networks with more addresses than this (OPA has no bound; Warden must). */
export const CIDR_EXPAND_MAX = 1 << 16;

interface Ip {
  bits: 32 | 128;
  n: bigint;
}

interface Net {
  bits: 32 | 128;
  /** Network address (host bits cleared). */
  base: bigint;
  prefix: number;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0') || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  let tail: bigint | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...Array<string>(8 - total).fill('0'), ...rest];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(`0x${g}`);
  }
  if (tail !== undefined) n = (n & ~0xffffffffn) | tail;
  return n;
}

export function parseIp(s: string): Ip | undefined {
  if (s.includes(':')) {
    const n = parseV6(s);
    return n === undefined ? undefined : { bits: 128, n };
  }
  const n = parseV4(s);
  return n === undefined ? undefined : { bits: 32, n };
}

const mask = (bits: number, prefix: number): bigint => ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);

export function parseCidr(s: string): Net | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
  const prefix = Number(p);
  if (prefix > ip.bits) return undefined;
  return { bits: ip.bits, base: ip.n & mask(ip.bits, prefix), prefix };
}

const last = (net: Net): bigint => net.base | ((1n << BigInt(net.bits - net.prefix)) - 1n);

function containsIp(net: Net, ip: Ip): boolean {
  return net.bits === ip.bits && (ip.n & mask(net.bits, net.prefix)) === net.base;
}

export function formatIp(ip: Ip): string {
  if (ip.bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((ip.n >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

function cidrOrFail(name: string, s: string): Net {
  const net = parseCidr(s);
  if (!net) throw builtinError(name, `invalid CIDR address: ${s}`);
  return net;
}

/** Whether `net` contains the IP or the whole network written in `s`. */
function containsText(name: string, net: Net, s: string): boolean {
  const ip = parseIp(s);
  if (ip) return containsIp(net, ip);
  const other = parseCidr(s);
  if (!other) throw builtinError(name, `not a valid textual representation of an IP address or CIDR: ${s}`);
  return other.bits === net.bits && containsIp(net, { bits: net.bits, n: other.base }) && containsIp(net, { bits: net.bits, n: last(other) });
}

/** Smallest set of CIDRs covering [lo, hi]. */
function rangeToCidrs(bits: 32 | 128, lo: bigint, hi: bigint): Net[] {
  const out: Net[] = [];
  let cur = lo;
  while (cur <= hi) {
    let size = 0;
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= hi) size++;
    out.push({ bits, base: cur, prefix: bits - size });
    cur += 1n << BigInt(size);
  }
  return out;
}

function merge(name: string, items: readonly Value[]): SetValue {
  const ranges: Record<32 | 128, Array<[bigint, bigint]>> = { 32: [], 128: [] };
  for (const x of items) {
    if (typeof x !== 'string') throw operandTypeError(name, 1, x, 'string');
    const ip = parseIp(x);
    const net = ip ? { bits: ip.bits, base: ip.n, prefix: ip.bits } : parseCidr(x);
    if (!net) throw builtinError(name, `IP address or CIDR is invalid: ${x}`);
    ranges[net.bits].push([net.base, last(net)]);
  }
  const out = new SetValue();
  for (const bits of [32, 128] as const) {
    const rs = ranges[bits].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const merged: Array<[bigint, bigint]> = [];
    for (const r of rs) {
      const top = merged[merged.length - 1];
      if (top && r[0] <= top[1] + 1n) {
        if (r[1] > top[1]) top[1] = r[1];
      } else merged.push([r[0], r[1]]);
    }
    for (const [lo, hi] of merged) {
      for (const n of rangeToCidrs(bits, lo, hi)) out.add(`${formatIp({ bits, n: n.base })}/${n.prefix}`);
    }
  }
  return out;
}

/** (cidr text, key) pairs of a cidr_contains_matches operand. */
function matchOperand(name: string, pos: number, v: Value): Array<[string, Value]> {
  const cidrOf = (x: Value): string => {
    if (typeof x === 'string') return x;
    if (Array.isArray(x)) {
      const a = x as ArrayValue;
      if (a.length === 0) throw builtinError(name, `operand ${pos}: embedded array must have at least one element`);
      if (typeof a[0] !== 'string') throw builtinError(name, `operand ${pos}: embedded array must have a string as its first element`);
      return a[0];
    }
    throw builtinError(name, `operand ${pos}: operand elements must be strings or arrays but got ${typeName(x)}`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return (v as ArrayValue).map((x, i) => [cidrOf(x), i]);
  if (v instanceof SetValue) return v.values().map((x) => [cidrOf(x), x]);
  if (v instanceof ObjectValue) return v.entries().map(([k, x]) => [cidrOf(x), k]);
  throw operandTypeError(name, pos, v, 'string', 'array', 'set', 'object');
}

export const netBuiltins: BuiltinDefinition[] = [
  {
    name: 'net.cidr_contains',
    args: [T.string, T.string],
    result: T.boolean,
    impl: (args) => {
      const n = 'net.cidr_contains';
      const net = cidrOrFail(n, str(n, args, 0));
      return containsText(n, net, str(n, args, 1));
    },
  },
  {
    name: 'net.cidr_intersects',
    args: [T.string, T.string],
    result: T.boolean,
    impl: (args) => {
      const n = 'net.cidr_intersects';
      const a = cidrOrFail(n, str(n, args, 0));
      const b = cidrOrFail(n, str(n, args, 1));
      return a.bits === b.bits && (containsIp(a, { bits: b.bits, n: b.base }) || containsIp(b, { bits: a.bits, n: a.base }));
    },
  },
  {
    name: 'net.cidr_is_valid',
    args: [T.any],
    result: T.boolean,
    impl: (args) => typeof args[0] === 'string' && parseCidr(args[0]) !== undefined,
  },
  {
    name: 'net.cidr_expand',
    args: [T.string],
    result: T.set(T.string),
    impl: (args) => {
      const n = 'net.cidr_expand';
      const net = cidrOrFail(n, str(n, args, 0));
      const size = 1n << BigInt(net.bits - net.prefix);
      if (size > BigInt(CIDR_EXPAND_MAX)) throw builtinError(n, `network has ${size} addresses, more than the limit of ${CIDR_EXPAND_MAX}`);
      const out = new SetValue();
      for (let i = 0n; i < size; i++) out.add(formatIp({ bits: net.bits, n: net.base + i }));
      return out;
    },
  },
  {
    name: 'net.cidr_merge',
    args: [T.union(T.array(T.string), T.set(T.string))],
    result: T.set(T.string),
    impl: (args) => {
      const v = args[0];
      if (Array.isArray(v)) return merge('net.cidr_merge', v as ArrayValue);
      if (v instanceof SetValue) return merge('net.cidr_merge', v.values());
      throw operandTypeError('net.cidr_merge', 1, v, 'array', 'set');
    },
  },
  {
    name: 'net.cidr_contains_matches',
    args: [T.any, T.any],
    result: T.set(T.array()),
    impl: (args) => {
      const n = 'net.cidr_contains_matches';
      const cidrs = matchOperand(n, 1, args[0]);
      const targets = matchOperand(n, 2, args[1]);
      const out = new SetValue();
      for (const [c, k1] of cidrs) {
        const net = cidrOrFail(n, c);
        for (const [t, k2] of targets) if (containsText(n, net, t)) out.add([k1, k2]);
      }
      return out;
    },
  },
];

defaultRegistry.registerAll(netBuiltins);
