// The shape of one rule document in ast-grep's YAML rule format (https://ast-grep.github.io/reference/yaml.html)
// plus Warden's metadata, as a strict zod schema: an unknown key anywhere in a rule is an error
// naming its key path, which is what catches typos like `patern:` or `stopby:`.
import { z } from 'zod';

/** ast-grep's rule object (the `rule:` value, utils, constraints, relational sub-rules). */
export interface RuleObject {
  pattern?: string | { context: string; selector?: string; strictness?: Strictness };
  kind?: string;
  regex?: string;
  nthChild?: number | string | { position: number | string; ofRule?: RuleObject; reverse?: boolean };
  range?: { start: { line: number; column: number }; end: { line: number; column: number } };
  inside?: RelationObject;
  has?: RelationObject;
  precedes?: RelationObject;
  follows?: RelationObject;
  all?: RuleObject[];
  any?: RuleObject[];
  not?: RuleObject;
  matches?: string;
}

export interface RelationObject extends RuleObject {
  stopBy?: 'neighbor' | 'end' | RuleObject;
  field?: string;
}

export const STRICTNESS = ['cst', 'smart', 'ast', 'relaxed', 'signature', 'template'] as const;
export type Strictness = (typeof STRICTNESS)[number];

/** Keys of a rule object, for "did you mean" hints. */
export const RULE_KEYS = ['pattern', 'kind', 'regex', 'nthChild', 'range', 'inside', 'has', 'precedes', 'follows', 'all', 'any', 'not', 'matches'];
export const RELATION_KEYS = [...RULE_KEYS, 'stopBy', 'field'];

const position = z.strictObject({ line: z.number().int().min(0), column: z.number().int().min(0) });

const patternSchema = z.union([
  z.string().min(1),
  z.strictObject({ context: z.string().min(1), selector: z.string().min(1).optional(), strictness: z.enum(STRICTNESS).optional() }),
]);

/**
 * The rule and relation schemas. `strictRelations: false` is ast-grep's own behaviour: a relational
 * rule (has/inside/precedes/follows) flattens its sub-rule, and an nthChild object is read loosely,
 * so ast-grep silently drops unknown keys there (a `stopby:` typo, a stray `position:` or
 * `pattern:`). Warden rejects them unless asked not to.
 */
function buildRuleSchemas(strictRelations: boolean): { rule: z.ZodType<RuleObject>; relation: z.ZodType<RelationObject> } {
  const shape = () => ({
    pattern: patternSchema.optional(),
    kind: z.string().min(1).optional(),
    regex: z.string().min(1).optional(),
    nthChild: z
      .union([
        z.number().int().min(1),
        z.string().min(1),
        (strictRelations ? z.strictObject : z.object)({
          position: z.union([z.number().int().min(1), z.string().min(1)]),
          ofRule: z.lazy(() => rule).optional(),
          reverse: z.boolean().optional(),
        }),
      ])
      .optional(),
    range: z.strictObject({ start: position, end: position }).optional(),
    inside: z.lazy(() => relation).optional(),
    has: z.lazy(() => relation).optional(),
    precedes: z.lazy(() => relation).optional(),
    follows: z.lazy(() => relation).optional(),
    all: z.array(z.lazy(() => rule)).optional(),
    any: z.array(z.lazy(() => rule)).optional(),
    not: z.lazy(() => rule).optional(),
    matches: z.string().min(1).optional(),
  });
  const rule: z.ZodType<RuleObject> = z.strictObject(shape());
  const relationShape = {
    ...shape(),
    stopBy: z.union([z.enum(['neighbor', 'end']), z.lazy(() => rule)]).optional(),
    field: z.string().min(1).optional(),
  };
  const relation: z.ZodType<RelationObject> = strictRelations ? z.strictObject(relationShape) : z.object(relationShape);
  return { rule, relation };
}

const strict = buildRuleSchemas(true);
const lenient = buildRuleSchemas(false);
export const ruleSchema = strict.rule;
export const relationSchema = strict.relation;

const metavarSource = z.string().regex(/^\$\$?\$?[A-Z_][A-Z0-9_]*$/, 'expected a metavariable such as $VAR');

/** ast-grep's `transform:` entries: the object forms, or the string form (`substring($V, endChar=1)`). */
const transformSchema = z.union([
  z.string().min(1),
  z.strictObject({
    substring: z.strictObject({ source: metavarSource, startChar: z.number().int().optional(), endChar: z.number().int().optional() }),
  }),
  z.strictObject({ replace: z.strictObject({ source: metavarSource, replace: z.string(), by: z.string() }) }),
  z.strictObject({
    convert: z.strictObject({
      source: metavarSource,
      toCase: z.enum(['lowerCase', 'upperCase', 'capitalize', 'camelCase', 'snakeCase', 'kebabCase', 'pascalCase']),
      separatedBy: z.array(z.enum(['dash', 'dot', 'space', 'slash', 'underscore', 'caseChange'])).optional(),
    }),
  }),
]);

/** ast-grep's severities, then Warden's own (ast-grep's map: hint→info, info→low, warning→medium, error→high). */
export const RULE_SEVERITIES = ['hint', 'info', 'warning', 'error', 'off', 'low', 'medium', 'high', 'critical'] as const;
export type RuleSeverity = (typeof RULE_SEVERITIES)[number];

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1))]);

/**
 * `metadata:` is free-form in ast-grep; Warden reads cwe, owasp_llm, confidence and references
 * from it (and checks their types), and keeps everything else unread.
 */
const metadataSchema = z.looseObject({
  cwe: stringOrList.optional(),
  owasp_llm: stringOrList.optional(),
  confidence: z.enum(['low', 'medium', 'high']).optional(),
  references: stringOrList.optional(),
});

function buildDocumentSchema(rule: z.ZodType<RuleObject>) {
  return z.strictObject({
    id: z.string().min(1).max(200),
    language: z.string().min(1),
    rule,
    constraints: z.record(z.string(), rule).optional(),
    utils: z.record(z.string(), rule).optional(),
    transform: z.record(z.string(), transformSchema).optional(),
    fix: z
      .union([z.string(), z.strictObject({ template: z.string(), expandStart: rule.optional(), expandEnd: rule.optional() })])
      .optional(),
    message: z.string().optional(),
    severity: z.enum(RULE_SEVERITIES).optional(),
    note: z.string().optional(),
    labels: z.record(z.string(), z.strictObject({ style: z.enum(['primary', 'secondary']), message: z.string().optional() })).optional(),
    files: z.array(z.string().min(1)).optional(),
    ignores: z.array(z.string().min(1)).optional(),
    url: z.string().optional(),
    metadata: metadataSchema.optional(),
    /** Marker in coderabbitai/ast-grep-essentials rule files; carries no meaning. */
    'ast-grep-essentials': z.boolean().optional(),
  });
}

export const ruleDocumentSchema = buildDocumentSchema(strict.rule);
/** ast-grep's leniency: unknown keys inside relational rules are dropped, not errors (see buildRuleSchemas). */
export const lenientRuleDocumentSchema = buildDocumentSchema(lenient.rule);

export type RuleDocument = z.infer<typeof ruleDocumentSchema>;

export const RULE_DOCUMENT_KEYS = Object.keys(ruleDocumentSchema.shape);

/** Keys allowed at a key path of a rule document, for "did you mean" hints. */
export function knownRuleKeys(p: readonly PropertyKey[]): string[] | undefined {
  if (p.length === 0) return RULE_DOCUMENT_KEYS;
  const last = p[p.length - 1];
  if (last === 'inside' || last === 'has' || last === 'precedes' || last === 'follows') return RELATION_KEYS;
  if (last === 'fix') return ['template', 'expandStart', 'expandEnd'];
  if (p[0] === 'rule' || p[0] === 'utils' || p[0] === 'constraints') return RULE_KEYS;
  return undefined;
}
