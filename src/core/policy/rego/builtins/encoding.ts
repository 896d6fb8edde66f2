// Encoding builtins: base64, base64url, hex, urlquery, json.* and yaml.* (via the `yaml` package).

import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import {
  ObjectValue,
  SetValue,
  fromJson,
  parseJson,
  toJson,
  toJsonText,
  type ArrayValue,
  type Value,
} from '../value.js';
import { obj, str } from './args.js';
import { T, builtinError, defaultRegistry, operandTypeError, type BuiltinDefinition } from './registry.js';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeBase64(name: string, s: string, url: boolean): string {
  const ok = url ? B64URL.test(s) : B64.test(s) && s.length % 4 === 0;
  if (!ok) throw builtinError(name, 'illegal base64 data');
  return Buffer.from(s, url ? 'base64url' : 'base64').toString('utf8');
}

function urlEscape(s: string): string {
  // Go's url.QueryEscape: space → '+', unreserved kept, everything else %XX.
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function urlUnescape(name: string, s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw builtinError(name, 'invalid URL escape');
  }
}

function queryValues(name: string, v: Value): string[] {
  if (typeof v === 'string') return [v];
  const xs = Array.isArray(v) ? (v as ArrayValue) : v instanceof SetValue ? v.values() : undefined;
  if (!xs) throw operandTypeError(name, 1, v, 'string', 'array', 'set');
  return xs.map((x) => {
    if (typeof x !== 'string') throw operandTypeError(name, 1, x, 'string');
    return x;
  });
}

function parseJsonOrFail(name: string, s: string): Value {
  try {
    return parseJson(s);
  } catch (e) {
    throw builtinError(name, e instanceof Error ? e.message : String(e));
  }
}

/**
 * The first document of a YAML stream, as Go's yaml.Unmarshal reads it (OPA: sigs.k8s.io/yaml):
 * later documents are ignored, but a syntax error anywhere in the stream is still an error.
 */
function yamlFirstDocument(s: string): unknown {
  const docs = parseAllDocuments(s, { intAsBigInt: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const d of list) {
    if (d.errors.length > 0) throw d.errors[0];
  }
  return list.length === 0 ? null : (list[0].toJS() as unknown);
}

function parseYaml(name: string, s: string): Value {
  try {
    return fromJson(yamlFirstDocument(s));
  } catch (e) {
    throw builtinError(name, e instanceof Error ? e.message : String(e));
  }
}

export const encodingBuiltins: BuiltinDefinition[] = [
  {
    name: 'base64.encode',
    args: [T.string],
    result: T.string,
    impl: (args) => Buffer.from(str('base64.encode', args, 0), 'utf8').toString('base64'),
  },
  {
    name: 'base64.decode',
    args: [T.string],
    result: T.string,
    impl: (args) => decodeBase64('base64.decode', str('base64.decode', args, 0), false),
  },
  {
    name: 'base64.is_valid',
    args: [T.string],
    result: T.boolean,
    impl: (args) => {
      const s = str('base64.is_valid', args, 0);
      return B64.test(s) && s.length % 4 === 0;
    },
  },
  {
    name: 'base64url.encode',
    args: [T.string],
    result: T.string,
    impl: (args) => {
      // Go's base64.URLEncoding keeps padding; encode_no_pad drops it.
      const raw = Buffer.from(str('base64url.encode', args, 0), 'utf8').toString('base64url');
      return raw + '='.repeat((4 - (raw.length % 4)) % 4);
    },
  },
  {
    name: 'base64url.encode_no_pad',
    args: [T.string],
    result: T.string,
    impl: (args) => Buffer.from(str('base64url.encode_no_pad', args, 0), 'utf8').toString('base64url'),
  },
  {
    name: 'base64url.decode',
    args: [T.string],
    result: T.string,
    impl: (args) => decodeBase64('base64url.decode', str('base64url.decode', args, 0), true),
  },
  {
    name: 'hex.encode',
    args: [T.string],
    result: T.string,
    impl: (args) => Buffer.from(str('hex.encode', args, 0), 'utf8').toString('hex'),
  },
  {
    name: 'hex.decode',
    args: [T.string],
    result: T.string,
    impl: (args) => {
      const s = str('hex.decode', args, 0);
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw builtinError('hex.decode', `invalid hex string: ${JSON.stringify(s)}`);
      return Buffer.from(s, 'hex').toString('utf8');
    },
  },
  {
    name: 'urlquery.encode',
    args: [T.string],
    result: T.string,
    impl: (args) => urlEscape(str('urlquery.encode', args, 0)),
  },
  {
    name: 'urlquery.decode',
    args: [T.string],
    result: T.string,
    impl: (args) => urlUnescape('urlquery.decode', str('urlquery.decode', args, 0)),
  },
  {
    name: 'urlquery.encode_object',
    args: [T.object(T.string)],
    result: T.string,
    impl: (args) => {
      const o = obj('urlquery.encode_object', args, 0);
      const parts: string[] = [];
      for (const [k, v] of o.entries()) {
        if (typeof k !== 'string') throw operandTypeError('urlquery.encode_object', 1, k, 'string');
        for (const x of queryValues('urlquery.encode_object', v)) parts.push(`${urlEscape(k)}=${urlEscape(x)}`);
      }
      return parts.join('&');
    },
  },
  {
    name: 'urlquery.decode_object',
    args: [T.string],
    result: T.object(T.string, T.array(T.string)),
    impl: (args) => {
      const s = str('urlquery.decode_object', args, 0);
      const acc = new Map<string, string[]>();
      for (const part of s.split('&')) {
        if (part === '') continue;
        const eq = part.indexOf('=');
        const k = urlUnescape('urlquery.decode_object', eq < 0 ? part : part.slice(0, eq));
        const v = eq < 0 ? '' : urlUnescape('urlquery.decode_object', part.slice(eq + 1));
        const list = acc.get(k) ?? [];
        list.push(v);
        acc.set(k, list);
      }
      const out = new ObjectValue();
      for (const [k, vs] of acc) out.set(k, vs);
      return out;
    },
  },
  {
    name: 'json.marshal',
    args: [T.any],
    result: T.string,
    impl: (args) => toJsonText(args[0]),
  },
  {
    name: 'json.marshal_with_options',
    args: [T.any, T.object(T.string)],
    result: T.string,
    impl: (args) => {
      const opts = obj('json.marshal_with_options', args, 1);
      const pretty = opts.get('pretty');
      const indentOpt = opts.get('indent');
      const prefix = opts.get('prefix');
      const wantPretty = pretty === true || (pretty === undefined && (indentOpt !== undefined || prefix !== undefined));
      if (!wantPretty) return toJsonText(args[0]);
      const indent = typeof indentOpt === 'string' ? indentOpt : '\t';
      const pre = typeof prefix === 'string' ? prefix : '';
      const text = JSON.stringify(toJson(args[0]), null, indent);
      return text
        .split('\n')
        .map((l) => pre + l)
        .join('\n');
    },
  },
  {
    name: 'json.unmarshal',
    args: [T.string],
    result: T.any,
    impl: (args) => parseJsonOrFail('json.unmarshal', str('json.unmarshal', args, 0)),
  },
  {
    name: 'json.is_valid',
    args: [T.string],
    result: T.boolean,
    impl: (args) => {
      try {
        parseJson(str('json.is_valid', args, 0));
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: 'yaml.marshal',
    args: [T.any],
    result: T.string,
    impl: (args) => yamlStringify(toJson(args[0])),
  },
  {
    name: 'yaml.unmarshal',
    args: [T.string],
    result: T.any,
    impl: (args) => parseYaml('yaml.unmarshal', str('yaml.unmarshal', args, 0)),
  },
  {
    name: 'yaml.is_valid',
    args: [T.string],
    result: T.boolean,
    impl: (args) => {
      try {
        yamlFirstDocument(str('yaml.is_valid', args, 0));
        return true;
      } catch {
        return false;
      }
    },
  },
];

defaultRegistry.registerAll(encodingBuiltins);
