// Warden's metadata of a Rego pack, read from the OPA `# METADATA` annotation block at its package:
// `title`, `description` and `custom: {name, type, enforcement, scope, enabled}`. The block is YAML
// in comment lines (OPA's format, https://www.openpolicyagent.org/docs/policy-language#annotations);
// other OPA annotation fields are accepted and ignored. Errors are located in the .rego file.
import { z } from 'zod';
import { parseYamlWithSchema } from '../../config/load.js';
import { WardenError } from '../../errors.js';
import { ENFORCEMENTS, POLICY_TYPES, SCOPE_KEYS, type Enforcement, type PolicyScope, type PolicyType } from '../decision.js';
import { POLICY_NAME_RE } from '../yaml/schema.js';

export const REGO_METADATA_INVALID = 'policy_metadata_invalid';

const customSchema = z
  .object({
    name: z.string().regex(POLICY_NAME_RE, 'letters, digits, ".", "_" and "-", starting with a letter or digit').optional(),
    type: z.enum(POLICY_TYPES).optional(),
    enforcement: z.enum(ENFORCEMENTS).optional(),
    enabled: z.boolean().optional(),
    scope: z
      .union([
        z.literal('global'),
        z
          .object(Object.fromEntries(SCOPE_KEYS.map((k) => [k, z.array(z.string().min(1)).min(1).optional()])) as Record<
            (typeof SCOPE_KEYS)[number],
            z.ZodOptional<z.ZodArray<z.ZodString>>
          >)
          .strict(),
      ])
      .optional(),
  })
  // OPA allows any custom fields; Warden reads its own and keeps the rest out of the way.
  .loose();

const annotationSchema = z
  .object({
    scope: z.enum(['package', 'subpackages', 'rule', 'document']).optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    custom: customSchema.optional(),
  })
  .loose();

export interface RegoPackMetadata {
  title?: string;
  description?: string;
  name?: string;
  type?: PolicyType;
  enforcement?: Enforcement;
  enabled?: boolean;
  scope?: PolicyScope;
}

interface Block {
  /** 1-based line of `# METADATA`. */
  line: number;
  /** The YAML text, one line per comment line after the marker, `#` removed. */
  yaml: string;
  /** First non-blank line after the block (1-based), or 0 at end of file. */
  nextLine: number;
}

const MARKER = /^\s*#\s*METADATA\s*$/;
const COMMENT = /^\s*#/;

function blocks(text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!MARKER.test(lines[i])) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && COMMENT.test(lines[j]) && !MARKER.test(lines[j])) {
      body.push(lines[j].replace(/^\s*#/, ''));
      j++;
    }
    let k = j;
    while (k < lines.length && lines[k].trim() === '') k++;
    out.push({ line: i + 1, yaml: body.join('\n'), nextLine: k < lines.length ? k + 1 : 0 });
    i = j - 1;
  }
  return out;
}

/**
 * The package-scoped annotation of a module: the METADATA block right above the `package` line
 * (at `packageLine`), or one anywhere that says `scope: package`/`subpackages`. Empty when there
 * is none. Throws `policy_metadata_invalid` located at the offending line of the block.
 */
export function readRegoMetadata(text: string, file: string, packageLine: number): RegoPackMetadata {
  for (const b of blocks(text)) {
    let doc: z.infer<typeof annotationSchema>;
    try {
      doc = parseYamlWithSchema(b.yaml, file, annotationSchema, { code: REGO_METADATA_INVALID, empty: {}, known: () => undefined });
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      // Lines of the block text are the lines after the marker; columns lose the stripped `#`.
      const loc = e.location;
      throw new WardenError(REGO_METADATA_INVALID, `METADATA: ${e.message}`, {
        location: { file, line: b.line + (loc?.line ?? 1), col: (loc?.col ?? 1) + 1 },
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
    const atPackage = b.nextLine === packageLine;
    const packageScoped = doc.scope === 'package' || doc.scope === 'subpackages';
    if (!(packageScoped || (atPackage && doc.scope === undefined))) continue;
    const out: RegoPackMetadata = {};
    if (doc.title !== undefined) out.title = doc.title;
    if (doc.description !== undefined) out.description = doc.description;
    const c = doc.custom;
    if (c) {
      if (c.name !== undefined) out.name = c.name;
      if (c.type !== undefined) out.type = c.type;
      if (c.enforcement !== undefined) out.enforcement = c.enforcement;
      if (c.enabled !== undefined) out.enabled = c.enabled;
      if (c.scope !== undefined && c.scope !== 'global') {
        const scope: PolicyScope = {};
        for (const k of SCOPE_KEYS) {
          const list = c.scope[k];
          if (list) scope[k] = [...list];
        }
        out.scope = scope;
      }
    }
    return out;
  }
  return {};
}
