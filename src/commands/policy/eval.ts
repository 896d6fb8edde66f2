// `warden policy eval`: evaluate a Rego query against policy and data files, printing OPA's result shape.
import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, WardenError } from '../../core/errors.js';
import { loadPolicyFiles } from '../../core/policy/files.js';
import { REGO_VERSION_HELP, V0_COMPATIBLE_FLAG } from './check.js';
import {
  evaluatePolicyQuery,
  parseInputText,
  renderEvalJson,
  renderEvalPretty,
  renderEvalValues,
} from '../../core/policy/query.js';
import { toJson, type Json, type Value } from '../../core/policy/rego/value.js';

export interface PolicyEvalExpression {
  value: Json;
  text: string;
  location: { row: number; col: number };
}

/** OPA's result document: `result` is absent when the query is undefined. */
export interface PolicyEvalResult {
  result?: { expressions: PolicyEvalExpression[]; bindings?: Record<string, Json> }[];
}

export default class PolicyEval extends BaseCommand<typeof PolicyEval> {
  static override summary = 'Evaluate a Rego query against policies, data and an input document.';

  static override description = `Loads every .rego module and .json/.yaml data file under each -d path (directories are read
recursively; hidden entries are skipped), compiles the modules, and evaluates QUERY the way
\`opa eval\` does. A data file is placed under \`data\` at its directory path relative to the -d root:
with \`-d policies\`, policies/users/data.json becomes data.users; a data file named directly is
merged at the root of data.

The input document (\`input\` in policies) comes from -i FILE, or from standard input with \`--input -\`.

Output formats:
  json    OPA's result JSON: {"result": [{"expressions": [{"value", "text", "location"}], "bindings"}]},
          or {} when the query is undefined. Numbers are exact (no rounding past 2^53).
  values  just the values, one JSON document per result row.
  pretty  a readable view: the value itself for a simple query, else name: value per row.

--fail exits 1 when the result is undefined (no rows), which suits \`allow\`-style gates in CI;
--fail-defined exits 1 when there is a result, which suits \`deny\`-style queries. Compile and
evaluation errors exit 2 with a coded, located message.

${REGO_VERSION_HELP}
The query itself is always parsed as v1.`;

  static override examples = [
    "<%= config.bin %> policy eval -d policies/ -i request.json 'data.warden.request.deny'",
    "cat request.json | <%= config.bin %> policy eval -d policies/ --input - 'data.warden.request'",
    "<%= config.bin %> policy eval -d policy.rego -i input.json --fail 'data.example.allow == true'",
    "<%= config.bin %> policy eval -d policies/ -i input.json --format values 'x := data.example.deny[_]'",
    "<%= config.bin %> policy eval --format pretty '[1, 2, 3][i] > 1'",
  ];

  static override args = {
    query: Args.string({ description: "the Rego query, e.g. 'data.example.allow' or 'x := input.user; x != \"\"'", required: true }),
  };

  static override flags = {
    data: Flags.string({
      char: 'd',
      description: 'policy (.rego) or data (.json, .yaml) file or directory to load; repeatable',
      multiple: true,
      // One value per -d, so the query after it stays the positional argument.
      multipleNonGreedy: true,
    }),
    input: Flags.string({ char: 'i', description: 'input document: a JSON file, or - for standard input' }),
    format: Flags.string({
      char: 'f',
      description: 'output format',
      options: ['json', 'pretty', 'values'],
      default: 'json',
    }),
    fail: Flags.boolean({ description: 'exit 1 when the result is undefined (no rows)', exclusive: ['fail-defined'] }),
    'fail-defined': Flags.boolean({ description: 'exit 1 when the result is defined (any row)', exclusive: ['fail'] }),
    'strict-builtin-errors': Flags.boolean({ description: 'make builtin errors (e.g. a bad regex) fail the query instead of being undefined' }),
    'v0-compatible': V0_COMPATIBLE_FLAG,
  };

  /** Exact JSON text for --json (oclif's JSON.stringify would round big numbers and lose sets). */
  private exactJson = '{}';

  public override async run(): Promise<PolicyEvalResult> {
    const { flags, args } = this;
    const loaded = loadPolicyFiles(flags.data ?? [], { regoVersion: flags['v0-compatible'] ? 'v0' : 'auto' });
    let input: Value | undefined;
    if (flags.input !== undefined) {
      const name = flags.input === '-' ? 'standard input' : flags.input;
      let text: string;
      try {
        text = fs.readFileSync(flags.input === '-' ? 0 : flags.input, 'utf8');
      } catch (e) {
        throw new WardenError('path_not_found', `cannot read ${name}: ${(e as Error).message}`, { exitCode: ExitCode.usage });
      }
      input = parseInputText(text, name);
    }
    const { rows, defined } = evaluatePolicyQuery({
      sources: loaded.sources,
      data: loaded.data,
      input,
      query: args.query,
      strictBuiltinErrors: flags['strict-builtin-errors'],
      nowNs: BigInt(Math.trunc(this.deps.clock.now())) * 1_000_000n,
      print: (msg) => this.note(msg),
    });

    this.exactJson = renderEvalJson(rows);
    if (!this.jsonEnabled()) {
      const text = flags.format === 'values' ? renderEvalValues(rows) : flags.format === 'pretty' ? renderEvalPretty(rows) : this.exactJson;
      if (text !== '') this.log(text);
    }
    if ((flags.fail && !defined) || (flags['fail-defined'] && defined)) process.exitCode = ExitCode.violations;

    if (!defined) return {};
    return {
      result: rows.map((r) => {
        const bindings = Object.entries(r.bindings);
        return {
          expressions: r.expressions.map((e) => ({ value: toJson(e.value), text: e.text, location: e.location })),
          ...(bindings.length > 0 ? { bindings: Object.fromEntries(bindings.map(([k, v]) => [k, toJson(v)])) } : {}),
        };
      }),
    };
  }

  protected override logJson(json: unknown): void {
    if (json && typeof json === 'object' && 'error' in json) {
      super.logJson(json);
      return;
    }
    process.stdout.write(`${this.exactJson}\n`);
  }
}
