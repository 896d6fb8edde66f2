// `warden policy test`: run the `test_*` rules of Rego modules like `opa test`, and the request →
// verdict cases of YAML policy tests (*.test.yaml); exit 2 on any failure.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode } from '../../core/errors.js';
import { loadPolicyFiles } from '../../core/policy/files.js';
import { REGO_VERSION_HELP, V0_COMPATIBLE_FLAG } from './check.js';
import { renderTestReport, runPolicyTests, type TestCaseResult, type TestRunSummary } from '../../core/policy/test-runner.js';
import { findYamlTestFiles, renderYamlTestReport, runYamlPolicyTests, type YamlTestRunResult } from '../../core/policy/yaml/test-runner.js';

export interface PolicyTestResult {
  tests: TestCaseResult[];
  summary: TestRunSummary;
  /** The *.test.yaml cases found under the paths (absent when there are none). */
  yaml?: YamlTestRunResult;
  ok: boolean;
}

export default class PolicyTest extends BaseCommand<typeof PolicyTest> {
  static override summary = 'Run Rego unit tests (test_* rules, like opa test) and YAML policy test cases (*.test.yaml).';

  static override description = `Loads the .rego modules and .json/.yaml data files under each PATH (default: the current
directory; hidden directories are skipped) and runs every rule whose name starts with test_ as one
test. A test passes when its value is true; it fails when it is undefined or has another value, and
is an ERROR when evaluation fails (a type error, a conflict, the step limit). Rules named
todo_test_* are reported as SKIPPED.

Tests mock what a policy sees with \`with\`:

  test_denies_big_requests if {
      deny["max_tokens over budget"] with input as {"max_tokens": 100000}
  }

YAML policy tests are files named *.test.yaml: a list of cases, each a partial policy input
(docs/policy-input.md) and the decision expected from the policies next to the file (or those its
\`policies:\` key names):

  cases:
    - name: an AWS key in the prompt is denied
      input: { request: { model: gpt-4o, messages_text: "key AKIA..." } }
      expect: { verdict: deny, violations: [secrets-in-prompts] }

Detectors run on messages_text unless the case lists their results itself.

Failures and errors are always listed (with any print() output); -v lists passing tests too.
The report ends with PASS: n/m and a plain "N passed, N failed" line. Exit code: 0 when every test
passes, 2 when any fails or errors (as opa test), and 2 for a compile error.

${REGO_VERSION_HELP}`;

  static override examples = [
    '<%= config.bin %> policy test policies/',
    '<%= config.bin %> policy test -v .warden/policies',
    "<%= config.bin %> policy test policies/ --run 'data.warden.request.test_deny_.*'",
    '<%= config.bin %> policy test policies/ --json',
  ];

  static override strict = false;

  static override flags = {
    verbose: Flags.boolean({ char: 'v', description: 'list every test, passing ones included, with its print() output' }),
    run: Flags.string({ char: 'r', description: 'only tests whose full name (data.pkg.test_x) matches this regular expression (RE2 syntax)' }),
    'strict-builtin-errors': Flags.boolean({ description: 'make builtin errors fail a test as ERROR instead of leaving it undefined' }),
    'v0-compatible': V0_COMPATIBLE_FLAG,
  };

  public override async run(): Promise<PolicyTestResult> {
    const { flags } = this;
    const paths = this.rest.length > 0 ? this.rest : ['.'];
    const loaded = loadPolicyFiles(paths, { regoVersion: flags['v0-compatible'] ? 'v0' : 'auto', skipWardenYaml: true });
    const result = runPolicyTests({
      sources: loaded.sources,
      data: loaded.data,
      run: flags.run,
      clock: this.deps.clock,
      strictBuiltinErrors: flags['strict-builtin-errors'],
    });
    const yamlFiles = findYamlTestFiles(paths);
    const yaml = yamlFiles.length > 0 ? runYamlPolicyTests(yamlFiles, { clock: this.deps.clock }) : undefined;
    const ok = result.ok && (yaml?.ok ?? true);
    if (!this.jsonEnabled()) {
      if (result.summary.total > 0 || !yaml) this.log(renderTestReport(result, flags.verbose === true));
      if (yaml) this.log(renderYamlTestReport(yaml, flags.verbose === true));
    }
    if (!ok) process.exitCode = ExitCode.usage;
    return { ...result, ...(yaml ? { yaml } : {}), ok };
  }
}
