// `policy eval` logic: compile the loaded modules, evaluate one ad-hoc query the way `opa eval`
// does, and render the rows as OPA's result JSON (exact numbers), bare values, or a readable view.
import type { Clock } from '../deps.js';
import { ExitCode, WardenError } from '../errors.js';
import type { DecisionRecord } from './decision-log.js';
import { compilePolicy, type CompiledPolicy, type RuleNode, type SourceFile } from './rego/compile.js';
import { evalQuery, type ResultRow } from './rego/eval.js';
import { withSnippet } from './rego/location.js';
import { JsonSyntaxError, ObjectValue, parseJson, toJsonText, type Value } from './rego/value.js';

export interface PolicyQueryOptions {
  sources: readonly SourceFile[];
  /** Base documents (from data files). */
  data?: Value;
  input?: Value;
  query: string;
  strictBuiltinErrors?: boolean;
  /** time.now_ns for the query: the caller's clock reading. */
  nowNs: bigint;
  seed?: number;
  print?: (msg: string) => void;
  maxSteps?: number;
  /** Receives the query's OPA-shaped decision-log record (needs `clock`); see EvalOptions.onDecision. */
  onDecision?: (rec: DecisionRecord) => void;
  clock?: Pick<Clock, 'now' | 'monotonic'>;
}

export interface PolicyQueryResult {
  rows: ResultRow[];
  /** OPA's notion for --fail/--fail-defined: at least one result row. */
  defined: boolean;
}

/** Compiles `sources` and evaluates `query`; rows carry each expression's source text, as OPA's do. */
export function evaluatePolicyQuery(opts: PolicyQueryOptions): PolicyQueryResult {
  if (opts.query.trim() === '') {
    throw new WardenError('policy_query_empty', 'the query is empty', { hint: "pass a query such as 'data.example.allow'" });
  }
  const policy = compilePolicy(opts.sources);
  checkDataConflicts(policy, opts.data);
  const rows = evalQuery(policy, opts.query, {
    input: opts.input,
    data: opts.data,
    strictBuiltinErrors: opts.strictBuiltinErrors,
    nowNs: opts.nowNs,
    seed: opts.seed,
    print: opts.print,
    maxSteps: opts.maxSteps,
    onDecision: opts.onDecision,
    clock: opts.clock,
  });
  const texts = expressionTexts(opts.query, rows[0]);
  for (const r of rows) {
    for (const e of r.expressions) if (e.text === '') e.text = texts.get(key(e.location)) ?? '';
  }
  return { rows, defined: rows.length > 0 };
}

/**
 * OPA's path-conflict check between rules and base documents, which `opa eval` and `opa test`
 * run before evaluating: a rule (or function) whose path holds base data, or lies under base data
 * that is not an object, is a rego_compile_error ("conflicting rule for data path a/b found").
 */
export function checkDataConflicts(policy: CompiledPolicy, data: Value | undefined): void {
  if (!(data instanceof ObjectValue) || data.size === 0) return;
  const visit = (node: RuleNode, base: Value | undefined, underNonObject: boolean): void => {
    const rule = (node.rules[0] ?? node.defaultRule)?.rule;
    if (rule !== undefined && (base !== undefined || underNonObject)) {
      const loc = rule.location;
      const e = new WardenError('rego_compile_error', `conflicting rule for data path ${node.path.slice(1).join('/')} found`, {
        location: { file: loc.file, line: loc.line, col: loc.col },
      });
      throw withSnippet(e, policy.sources);
    }
    const below = underNonObject || (base !== undefined && !(base instanceof ObjectValue));
    for (const [name, child] of node.children) visit(child, base instanceof ObjectValue ? base.get(name) : undefined, below);
  };
  for (const [name, child] of policy.root.children) visit(child, data.get(name), false);
}

const key = (l: { row: number; col: number }): string => `${l.row}:${l.col}`;

/**
 * The source text of each expression of the query, keyed by its start: from its start up to the
 * next expression's start, without the separating whitespace, `;` and comment lines.
 */
function expressionTexts(query: string, row: ResultRow | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!row) return out;
  const lineStarts = [0];
  for (let i = 0; i < query.length; i++) if (query[i] === '\n') lineStarts.push(i + 1);
  const offsets = row.expressions
    .map((e) => ({ k: key(e.location), at: (lineStarts[e.location.row - 1] ?? query.length) + e.location.col - 1 }))
    .sort((a, b) => a.at - b.at);
  for (const [i, o] of offsets.entries()) {
    const end = offsets[i + 1]?.at ?? query.length;
    const raw = query
      .slice(o.at, end)
      .split('\n')
      .filter((l, j) => j === 0 || !/^\s*#/.test(l))
      .join('\n');
    out.set(o.k, raw.replace(/[\s;]+$/, ''));
  }
  return out;
}

/** Parses input or data text: JSON with exact numbers. `name` appears in the error. */
export function parseInputText(text: string, name: string): Value {
  try {
    return parseJson(text);
  } catch (e) {
    const msg = e instanceof JsonSyntaxError || e instanceof Error ? e.message : String(e);
    throw new WardenError('policy_input_invalid', `${name}: not valid JSON: ${msg}`, { exitCode: ExitCode.usage });
  }
}

/** Indents every line after the first by `pad` (JSON strings never hold raw newlines). */
function nest(text: string, pad: string): string {
  return text.replace(/\n/g, `\n${pad}`);
}

/**
 * OPA's `--format json` text: `{"result": [...]}` with expressions (value, text, location) and
 * bindings (left out when empty), or `{}` when the result is undefined. Values are written exactly.
 */
export function renderEvalJson(rows: readonly ResultRow[]): string {
  if (rows.length === 0) return '{}';
  const rowTexts = rows.map((r) => {
    const exprs = r.expressions.map(
      (e) =>
        `        {\n` +
        `          "value": ${nest(toJsonText(e.value, 2), '          ')},\n` +
        `          "text": ${JSON.stringify(e.text)},\n` +
        `          "location": {\n            "row": ${e.location.row},\n            "col": ${e.location.col}\n          }\n` +
        `        }`,
    );
    let s = `    {\n      "expressions": [\n${exprs.join(',\n')}\n      ]`;
    const names = Object.keys(r.bindings);
    if (names.length > 0) {
      const b = ObjectValue.fromRecord(r.bindings);
      s += `,\n      "bindings": ${nest(toJsonText(b, 2), '      ')}`;
    }
    return `${s}\n    }`;
  });
  return `{\n  "result": [\n${rowTexts.join(',\n')}\n  ]\n}`;
}

/** `--format values`: each row's expression values, one JSON document per line. */
export function renderEvalValues(rows: readonly ResultRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (r.expressions.length === 1) out.push(toJsonText(r.expressions[0].value));
    else out.push(toJsonText(r.expressions.map((e) => e.value)));
  }
  return out.join('\n');
}

/**
 * `--format pretty`: `undefined`; one indented value for a single-expression query without
 * variables; otherwise one block per row with `name: value` for each binding and each expression
 * whose value is not plain `true`.
 */
export function renderEvalPretty(rows: readonly ResultRow[]): string {
  if (rows.length === 0) return 'undefined';
  const single = rows.every((r) => r.expressions.length === 1 && Object.keys(r.bindings).length === 0);
  if (single) return rows.map((r) => toJsonText(r.expressions[0].value, 2)).join('\n');
  const blocks = rows.map((r) => {
    const lines: string[] = [];
    for (const [name, v] of Object.entries(r.bindings)) lines.push(`${name}: ${nest(toJsonText(v, 2), '  ')}`);
    for (const e of r.expressions) if (e.value !== true) lines.push(`${e.text}: ${nest(toJsonText(e.value, 2), '  ')}`);
    return lines.length > 0 ? lines.join('\n') : 'true';
  });
  return blocks.join('\n\n');
}
