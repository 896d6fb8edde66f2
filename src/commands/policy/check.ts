// `warden policy check`: parse and compile Rego modules without evaluating; every error with its location.
import { BaseCommand } from '../../base-command.js';
import { ExitCode, WardenError } from '../../core/errors.js';
import { checkPolicySources, formatCheckError, type PolicyCheckError } from '../../core/policy/check.js';
import { collectPolicyFiles, readSources } from '../../core/policy/files.js';

export interface PolicyCheckResult {
  files: string[];
  errors: PolicyCheckError[];
  ok: boolean;
}

export default class PolicyCheck extends BaseCommand<typeof PolicyCheck> {
  static override summary = 'Parse and compile Rego policies without running them; report every error with file:line:col.';

  static override description = `Reads the .rego files under each PATH (recursively, hidden directories skipped), parses them and
compiles them together: syntax, unsafe variables (a variable that nothing binds), recursion between
rules, conflicting or multiple default rules, undefined functions and builtin arity. Use it as a fast
CI gate before \`policy test\`.

Each error is printed on its own line to stderr as

  warden: <code>: <file>:<line>:<col>: <message>

with codes such as rego_parse_error, rego_unsafe_var_error, rego_recursion_error and
rego_type_error. Every file's first syntax error is reported; the files that parse are then compiled
together and the compiler's first error is reported, so fixing errors and re-running may show more.
Exit code: 0 when clean, 2 when there is any error.`;

  static override examples = [
    '<%= config.bin %> policy check policies/',
    '<%= config.bin %> policy check .warden/policies/request.rego --json',
  ];

  static override strict = false;

  public override async run(): Promise<PolicyCheckResult> {
    if (this.rest.length === 0) {
      throw new WardenError('usage', 'policy check needs at least one PATH', { hint: 'warden policy check policies/' });
    }
    const files = collectPolicyFiles(this.rest, { data: false }).rego;
    const result = checkPolicySources(readSources(files));
    if (!this.jsonEnabled()) {
      for (const e of result.errors) this.note(formatCheckError(e));
      if (result.ok) this.note(`${files.length} file(s) checked, no errors`);
      else this.note(`${result.errors.length} error(s)`);
    }
    if (!result.ok) process.exitCode = ExitCode.usage;
    return result;
  }
}
