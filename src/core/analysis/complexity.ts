// The `complexity` pack: McCabe cyclomatic complexity per function (1 + decision points) for
// JavaScript/TypeScript, Python and Go, counted on the ast-grep tree by node kinds. Decision points
// inside a nested function count for that function, not the enclosing one. Hand-written: the
// per-language tables are the whole of it, and no maintained library counts over tree-sitter trees.
import type { SgNode } from '@ast-grep/napi';
import type { BuiltinLoadedRule } from './rules.js';
import type { Position } from './types.js';

export const DEFAULT_COMPLEXITY_THRESHOLD = 15;
export const COMPLEXITY_RULE_ID = 'complexity.cyclomatic';

interface ComplexityTable {
  functions: readonly string[];
  /** Node kinds that each add one path. */
  decisions: readonly string[];
  /** Short-circuit operators that each add one (on `binary_expression`), when the grammar has no node kind for them. */
  logicalOperators?: RegExp;
}

const JS: ComplexityTable = {
  functions: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration', 'generator_function'],
  decisions: ['if_statement', 'for_statement', 'for_in_statement', 'while_statement', 'do_statement', 'switch_case', 'catch_clause', 'ternary_expression'],
  logicalOperators: /^(&&|\|\||\?\?)$/,
};

/** One line per language family. */
const TABLES: Readonly<Record<string, ComplexityTable>> = {
  javascript: JS,
  typescript: JS,
  tsx: JS,
  python: {
    functions: ['function_definition'],
    decisions: ['if_statement', 'elif_clause', 'for_statement', 'while_statement', 'except_clause', 'conditional_expression', 'boolean_operator', 'for_in_clause', 'if_clause', 'case_clause'],
  },
  go: {
    functions: ['function_declaration', 'method_declaration', 'func_literal'],
    decisions: ['if_statement', 'for_statement', 'expression_case', 'type_case', 'communication_case'],
    logicalOperators: /^(&&|\|\|)$/,
  },
};

export const COMPLEXITY_LANGUAGES: readonly string[] = Object.keys(TABLES);

export function complexityRules(threshold: number = DEFAULT_COMPLEXITY_THRESHOLD): BuiltinLoadedRule[] {
  return [
    {
      engine: 'complexity',
      meta: {
        id: COMPLEXITY_RULE_ID,
        message: `Function with cyclomatic complexity above ${threshold}.`,
        severity: 'low',
        language: COMPLEXITY_LANGUAGES.join(','),
        note:
          'Cyclomatic complexity counts the independent paths through a function (1 + each if, loop, case, ' +
          'catch, conditional expression and short-circuit operator). High values predict defects and make ' +
          'a function hard to test exhaustively. Fix: extract branches into named helpers, replace ' +
          'condition chains with lookup tables or early returns.',
        confidence: 'high',
        references: ['https://en.wikipedia.org/wiki/Cyclomatic_complexity'],
        pack: 'complexity',
        source: 'builtin:complexity',
      },
      options: { threshold },
    },
  ];
}

export interface FunctionComplexity {
  name: string;
  complexity: number;
  start: Position;
  end: Position;
  /** The function's first line, trimmed. */
  header: string;
}

interface Span {
  start: number;
  end: number;
  node: SgNode;
  fn: boolean;
  count: number;
}

function nameOf(fn: SgNode): string {
  const own = fn.field('name');
  if (own) return own.text();
  const parent = fn.parent();
  if (parent) {
    const k = parent.kind();
    if (k === 'variable_declarator' || k === 'assignment_expression' || k === 'pair' || k === 'public_field_definition' || k === 'field_definition') {
      const n = parent.field('name') ?? parent.field('left') ?? parent.field('key') ?? parent.field('property');
      if (n) return n.text();
    }
  }
  return '<anonymous>';
}

/**
 * The functions of a parsed file whose complexity exceeds `above` (default 0: all), in source
 * order. Undefined for languages without a table.
 */
export function functionComplexities(root: SgNode, languageId: string, above = 0): FunctionComplexity[] | undefined {
  const table = TABLES[languageId];
  if (!table) return undefined;
  const fns = root.findAll({ rule: { any: table.functions.map((kind) => ({ kind })) } });
  if (fns.length === 0) return [];
  const decisionRules: object[] = table.decisions.map((kind) => ({ kind }));
  if (table.logicalOperators) {
    decisionRules.push({ kind: 'binary_expression', has: { field: 'operator', regex: table.logicalOperators.source } });
  }
  const decisions = root.findAll({ rule: { any: decisionRules } } as Parameters<SgNode['findAll']>[0]);

  const spans: Span[] = [];
  for (const node of fns) {
    const r = node.range();
    spans.push({ start: r.start.index, end: r.end.index, node, fn: true, count: 0 });
  }
  for (const node of decisions) {
    const r = node.range();
    spans.push({ start: r.start.index, end: r.end.index, node, fn: false, count: 0 });
  }
  // Outer before inner: by start, then the longer span first.
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const stack: Span[] = [];
  for (const s of spans) {
    while (stack.length > 0 && stack[stack.length - 1].end <= s.start) stack.pop();
    if (s.fn) stack.push(s);
    else if (stack.length > 0) stack[stack.length - 1].count += 1;
  }
  return spans
    .filter((s) => s.fn && 1 + s.count > above)
    .map((s) => {
      const r = s.node.range();
      const text = s.node.text();
      const nl = text.indexOf('\n');
      return {
        name: nameOf(s.node),
        complexity: 1 + s.count,
        start: { line: r.start.line + 1, column: r.start.column + 1 },
        end: { line: r.end.line + 1, column: r.end.column + 1 },
        header: (nl < 0 ? text : text.slice(0, nl)).trim(),
      };
    });
}
