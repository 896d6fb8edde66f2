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
import { PolicyEngine, type Decision } from '../../core/policy/decision.js';
import { ciPolicyDirs, isCiInputDoc } from '../../core/policy/ci.js';
import { formatLoadError, loadPolicySet } from '../../core/policy/packs/loader.js';
import { findRepoRoot } from '../../core/config/load.js';
import { evaluateRequestDocument, renderDecision, REQUEST_ENDPOINTS } from '../../core/policy/request-eval.js';
import type { Endpoint } from '../../core/providers/types.js';
import { loadCommandPolicySet } from './list.js';

export interface PolicyEvalExpression {
  value: Json;
  text: string;
  location: { row: number; col: number };
}

/** OPA's result document: `result` is absent when the query is undefined. With --request: the decision. */
export interface PolicyEvalResult {
  result?: { expressions: PolicyEvalExpression[]; bindings?: Record<string, Json> }[];
  decision?: Decision;
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
The query itself is always parsed as v1.

With --request FILE (or - for standard input) no query is given: the request is judged by the
policy packs the proxy loads (built-in, global, this repository's .warden/policies, and any -d
directory), and the decision is printed: verdict, violations, mutations and errors; --explain adds
each policy's and rule's part. FILE is a partial policy input (docs/policy-input.md) or a provider
request body as an SDK sends it ({"model", "messages", ...}; --endpoint when its shape is
ambiguous). Detectors run on the prompt text as they would in the proxy. Exit code 1 when the
verdict is deny.`;

  static override examples = [
    "<%= config.bin %> policy eval -d policies/ -i request.json 'data.warden.request.deny'",
    "cat request.json | <%= config.bin %> policy eval -d policies/ --input - 'data.warden.request'",
    "<%= config.bin %> policy eval -d policy.rego -i input.json --fail 'data.example.allow == true'",
    "<%= config.bin %> policy eval -d policies/ -i input.json --format values 'x := data.example.deny[_]'",
    "<%= config.bin %> policy eval --format pretty '[1, 2, 3][i] > 1'",
    '<%= config.bin %> policy eval --request req.json --explain',
    "echo '{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}' | <%= config.bin %> policy eval --request -",
  ];

  static override args = {
    query: Args.string({ description: "the Rego query, e.g. 'data.example.allow' or 'x := input.user; x != \"\"' (not with --request)" }),
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
    request: Flags.string({ description: 'judge this request document (a file, or - for standard input) with the loaded policy packs', exclusive: ['input'] }),
    explain: Flags.boolean({ description: "with --request: show each policy's and rule's part in the decision", dependsOn: ['request'] }),
    endpoint: Flags.string({ description: 'with --request: the endpoint a provider body was written for', options: [...REQUEST_ENDPOINTS], dependsOn: ['request'] }),
    builtin: Flags.boolean({ description: 'with --request: load the built-in packs (--no-builtin leaves them out)', default: true, allowNo: true }),
  };

  /** Exact JSON text for --json (oclif's JSON.stringify would round big numbers and lose sets). */
  private exactJson = '{}';

  public override async run(): Promise<PolicyEvalResult> {
    const { flags, args } = this;
    // oclif hands piped standard input to the first missing argument: with --request -, that is the document.
    if (flags.request !== undefined) return this.judgeRequest(flags.request, flags.request === '-' ? args.query : undefined);
    if (args.query === undefined) {
      throw new WardenError('missing_query', 'give a query (or --request FILE to judge a request with the policy packs)', {
        hint: "e.g. warden policy eval -d policies/ 'data.example.allow'",
        exitCode: ExitCode.usage,
      });
    }
    // Warden's YAML policies and test files in a -d directory are not data documents.
    const loaded = loadPolicyFiles(flags.data ?? [], { regoVersion: flags['v0-compatible'] ? 'v0' : 'auto', skipWardenYaml: true });
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

  private judgeRequest(file: string, piped: string | undefined): PolicyEvalResult {
    const { flags } = this;
    const name = file === '-' ? 'standard input' : file;
    let text: string;
    try {
      text = piped ?? fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new WardenError('path_not_found', `cannot read ${name}: ${(e as Error).message}`, { exitCode: ExitCode.usage });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new WardenError('request_invalid', `${name} is not JSON: ${(e as Error).message}`, { exitCode: ExitCode.usage });
    }
    // A CI input document is judged by the CI packs `warden ci` loads; anything else by the request packs.
    const set = isCiInputDoc(doc)
      ? loadPolicySet(ciPolicyDirs({ root: findRepoRoot(process.cwd()) ?? process.cwd(), configDir: this.deps.paths.configDir, extraPolicyPaths: flags.data ?? [], builtin: flags.builtin }), { phases: ['ci'] })
      : loadCommandPolicySet(this.deps.paths.configDir, flags.data, flags.builtin);
    for (const e of set.errors) this.note(`policy not loaded: ${formatLoadError(e)}`);
    const engine = new PolicyEngine(set.policies, { clock: this.deps.clock });
    const { decision } = evaluateRequestDocument(engine, doc, {
      nowMs: this.deps.clock.now(),
      explain: flags.explain,
      ...(flags.endpoint ? { endpoint: flags.endpoint as Endpoint } : {}),
    });
    this.exactJson = JSON.stringify({ decision }, null, 2);
    if (!this.jsonEnabled()) this.log(renderDecision(decision));
    if (decision.verdict === 'deny') process.exitCode = ExitCode.violations;
    return { decision };
  }

  protected override logJson(json: unknown): void {
    if (json && typeof json === 'object' && 'error' in json) {
      super.logJson(json);
      return;
    }
    process.stdout.write(`${this.exactJson}\n`);
  }
}
