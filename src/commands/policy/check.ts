// `warden policy check`: parse and compile Rego modules without evaluating; every error with its location.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, WardenError } from '../../core/errors.js';
import { checkPolicySources, formatCheckError, type PolicyCheckError } from '../../core/policy/check.js';
import { collectPolicyFiles, readSources } from '../../core/policy/files.js';

export interface PolicyCheckResult {
  files: string[];
  errors: PolicyCheckError[];
  ok: boolean;
}

/** The --v0-compatible flag the policy commands share, and what it means for module syntax. */
export const V0_COMPATIBLE_FLAG = Flags.boolean({
  description: 'parse every module as Rego v0 (OPA before 1.0: no `if`/`contains` required, keywords via future.keywords imports)',
});

export const REGO_VERSION_HELP = `Rego versions: without --v0-compatible each module is parsed as
Rego v1 (OPA 1.x); a module that is not valid v1, does not import
rego.v1 and is valid v0 is compiled as v0 instead of failing.
v1 modules (and v0 ones importing rego.v1) get OPA's v1 checks:
input and data cannot be shadowed, imports cannot shadow each
other, deprecated builtins (any, all, re_match, set_diff, cast_*,
net.cidr_overlap) are rejected. With --v0-compatible every module
is parsed as v0, as with OPA's flag of that name.`;

export default class PolicyCheck extends BaseCommand<typeof PolicyCheck> {
  static override summary = 'Parse and compile Rego policies without running them; report every error with file:line:col.';

  static override description = `Reads the .rego files under each PATH (recursively, hidden
directories skipped), parses them and compiles them together the
way OPA does: syntax, local declarations (\`var x assigned above\`),
conflicting or multiple default rules, undefined functions and
builtin arity, unsafe variables (one nothing binds, or one only
bound under \`not\`), recursion between rules and deprecated
builtins. Use it as a fast CI gate before \`policy test\`.

Each error is printed to stderr as

  <file>:<line>:<col>: <code>: <message>
    <the source line>
    <a caret under the column>

with codes such as rego_parse_error, rego_compile_error,
rego_unsafe_var_error, rego_recursion_error and rego_type_error.
Every file's first syntax error is reported; the files that parse
are then compiled together and every error of the first failing
compile stage is reported (OPA's stage order: fixing them may
reveal errors of a later stage).

${REGO_VERSION_HELP}

Exit code: 0 when clean, 2 when there is any error.`;

  static override examples = [
    '<%= config.bin %> policy check policies/',
    '<%= config.bin %> policy check .warden/policies/request.rego --json',
    '<%= config.bin %> policy check --v0-compatible legacy/',
  ];

  static override strict = false;

  static override flags = {
    'v0-compatible': V0_COMPATIBLE_FLAG,
  };

  public override async run(): Promise<PolicyCheckResult> {
    if (this.rest.length === 0) {
      throw new WardenError('usage', 'policy check needs at least one PATH', { hint: 'warden policy check policies/' });
    }
    const regoVersion = this.flags['v0-compatible'] ? 'v0' : 'auto';
    const files = collectPolicyFiles(this.rest, { data: false }).rego;
    const result = checkPolicySources(readSources(files, regoVersion));
    if (!this.jsonEnabled()) {
      for (const e of result.errors) this.note(formatCheckError(e));
      if (result.ok) this.note(`${files.length} file(s) checked, no errors`);
      else this.note(`${result.errors.length} error(s)`);
    }
    if (!result.ok) process.exitCode = ExitCode.usage;
    return result;
  }
}
