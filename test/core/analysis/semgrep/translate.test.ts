// The semgrep translator against semgrep's documented pattern semantics (rule-syntax and
// pattern-syntax docs): each case runs the translated rule through @ast-grep/napi on snippets
// semgrep matches and snippets it does not.
import { describe, expect, it } from 'vitest';
import { translateSemgrepRules, type AstGrepRuleDoc, type SemgrepTranslation } from '../../../../src/core/analysis/semgrep/index.js';
import { matchTexts, napiValidate } from './napi.js';

function translate(yamlText: string): SemgrepTranslation {
  return translateSemgrepRules(yamlText, 'rules/semgrep.yml', { validate: napiValidate });
}

/** The single translated document of a one-rule, one-language file. */
function only(yamlText: string): AstGrepRuleDoc {
  const t = translate(yamlText);
  expect(t.errors.map((e) => e.format())).toEqual([]);
  expect(t.untranslated).toEqual([]);
  expect(t.rules).toHaveLength(1);
  return t.rules[0];
}

function rule(lang: string, body: string, extra = ''): string {
  const indented = body
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n');
  return `rules:\n  - id: r\n    message: m\n    severity: WARNING\n    languages: [${lang}]\n${extra}${indented}\n`;
}

describe('ellipsis', () => {
  it('matches any argument list with foo(...), including none', () => {
    const doc = only(rule('javascript', 'pattern: foo(...)'));
    expect(matchTexts(doc, 'foo(); foo(1); foo(1, 2); bar(1); x.foo2(1)')).toEqual(['foo()', 'foo(1)', 'foo(1, 2)']);
  });

  it('lets a trailing "..." after a comma match no arguments, as semgrep does', () => {
    const doc = only(rule('javascript', 'pattern: foo(1, ...)'));
    expect(matchTexts(doc, 'foo(1); foo(1, "x", false); foo(2); foo(2, 1)')).toEqual(['foo(1)', 'foo(1, "x", false)']);
    const before = only(rule('python', 'pattern: func(..., 1)'));
    expect(matchTexts(before, 'func("extra", False, 1)\nfunc(1)\nfunc(1, 2)\n')).toEqual(['func("extra", False, 1)', 'func(1)']);
  });

  it('finds a keyword argument anywhere with requests.get(..., verify=False, ...)', () => {
    const doc = only(rule('python', 'pattern: requests.get(..., verify=False, ...)'));
    const code = 'requests.get(verify=False, url=URL)\nrequests.get(URL, verify=False, timeout=3)\nrequests.get(URL, verify=False)\nrequests.get(URL)\n';
    expect(matchTexts(doc, code)).toEqual([
      'requests.get(verify=False, url=URL)',
      'requests.get(URL, verify=False, timeout=3)',
      'requests.get(URL, verify=False)',
    ]);
  });

  it('matches any function body with "..." and binds ellipsis metavariables $...ARGS', () => {
    const doc = only(rule('python', 'pattern: |\n  def $FUNC(..., $ARG={}, ...):\n      ...'));
    expect(matchTexts(doc, 'def parse_data(parser, data={}):\n    pass\n\ndef ok(parser, data=None):\n    pass\n')).toEqual([
      'def parse_data(parser, data={}):\n    pass',
    ]);
    const args = only(rule('javascript', 'pattern: foo($...ARGS, 3)'));
    expect(matchTexts(args, 'foo(1, 2, 3); foo(3); foo(1, 2)')).toEqual(['foo(1, 2, 3)', 'foo(3)']);
  });

  it('matches any string literal with "..." but not a variable', () => {
    const py = only(rule('python', 'pattern: crypto.set_secret_key("...")'));
    expect(matchTexts(py, 'crypto.set_secret_key("HARDCODED SECRET")\ncrypto.set_secret_key(\'x\')\ncrypto.set_secret_key(key)\n')).toEqual([
      'crypto.set_secret_key("HARDCODED SECRET")',
      "crypto.set_secret_key('x')",
    ]);
    expect(py.metadata.semgrep.approximations).toContain('string ellipsis "..."');
    const js = only(rule('javascript', 'pattern: jwt.sign($P, "...")'));
    expect(matchTexts(js, 'jwt.sign(p, "secret"); jwt.sign(p, `s`); jwt.sign(p, key); jwt.sign(p, `a${b}`)')).toEqual([
      'jwt.sign(p, "secret")',
      'jwt.sign(p, `s`)',
    ]);
  });

  it('matches a statement sequence foo() ... bar(), with bar() possibly nested later in the block', () => {
    const doc = only(rule('javascript', 'pattern: |\n  foo();\n  ...\n  bar();'));
    expect(matchTexts(doc, 'foo();\nbaz();\nbar();')).toEqual(['foo()']);
    expect(matchTexts(doc, 'foo();\nbaz();\nif (cond) { bar(); }')).toEqual(['foo()']);
    // `...` does not jump from an inner block to the outer one.
    expect(matchTexts(doc, 'if (cond) { foo(); }\nbaz();\nbar();')).toEqual([]);
    expect(matchTexts(doc, 'foo();\nbaz();')).toEqual([]);
    expect(doc.metadata.semgrep.approximations).toContain('statement sequence (reported at its first statement)');
  });
});

describe('metavariables and statements', () => {
  it('a named $_X unifies as in semgrep while $_ stays anonymous', () => {
    const named = only(rule('python', 'pattern: foo($_A, $_A)'));
    expect(matchTexts(named, 'foo(1, 1)\nfoo(1, 2)\n')).toEqual(['foo(1, 1)']);
    const anon = only(rule('python', 'pattern: foo($_, $_)'));
    expect(matchTexts(anon, 'foo(1, 1)\nfoo(1, 2)\n')).toEqual(['foo(1, 1)', 'foo(1, 2)']);
  });

  it('a repeated metavariable must bind equal code: $X == $X', () => {
    const doc = only(rule('javascript', 'pattern: $X == $X'));
    expect(matchTexts(doc, 'if (a == a) {} if (a == b) {}')).toEqual(['a == a']);
  });

  it('keeps one compound Python statement with else: as one pattern', () => {
    const doc = only(rule('python', 'pattern: |\n  if $C:\n      ...\n  else:\n      return $X'));
    expect(matchTexts(doc, 'if a:\n    b()\nelse:\n    return 1\n\nif a:\n    return 2\n')).toEqual(['if a:\n    b()\nelse:\n    return 1']);
  });

  it('a JavaScript statement pattern with ; also matches the expression inside other statements', () => {
    const doc = only(rule('javascript', 'pattern: foo();'));
    expect(matchTexts(doc, 'foo(); const x = foo(); bar();')).toEqual(['foo()', 'foo()']);
  });

  it('a three-statement sequence with metavariables shared between statements', () => {
    const doc = only(rule('javascript', "pattern: |\n  $C = require('crypto');\n  ...\n  $OPTIONS = $OPTS;\n  ...\n  https.createServer($OPTIONS, ...);"));
    const bad = "c = require('crypto');\nx();\nopts = {a: 1};\nhttps.createServer(opts);";
    const other = "c = require('crypto');\nopts = {a: 1};\nhttps.createServer(other);";
    expect(matchTexts(doc, bad)).toEqual(["c = require('crypto')"]);
    expect(matchTexts(doc, other)).toEqual([]);
  });
});

describe('pattern operators', () => {
  it('pattern-not removes matches: db_query(...) without verify=True', () => {
    const doc = only(rule('python', 'patterns:\n  - pattern: db_query(...)\n  - pattern-not: db_query(..., verify=True, ...)'));
    expect(matchTexts(doc, 'db_query("SELECT * FROM ...")\ndb_query("SELECT * FROM ...", verify=True, env="prod")\n')).toEqual([
      'db_query("SELECT * FROM ...")',
    ]);
  });

  it('pattern-not with a nested pattern-either negates all of it', () => {
    const doc = only(
      rule('javascript', 'patterns:\n  - pattern: q(...)\n  - pattern-not:\n      pattern-either:\n        - pattern: q(1)\n        - pattern: q(2)'),
    );
    expect(matchTexts(doc, 'q(1); q(2); q(3)')).toEqual(['q(3)']);
  });

  it('pattern-either matches any branch: hashlib.sha1 or hashlib.md5', () => {
    const doc = only(rule('python', 'pattern-either:\n  - pattern: hashlib.sha1(...)\n  - pattern: hashlib.md5(...)'));
    expect(matchTexts(doc, 'import hashlib\nhashlib.md5(b"test")\nhashlib.sha1(b"test")\nhashlib.sha256(b"test")\n')).toEqual([
      'hashlib.md5(b"test")',
      'hashlib.sha1(b"test")',
    ]);
  });

  it('pattern-inside keeps matches within the context: return inside a class __init__', () => {
    const doc = only(
      rule(
        'python',
        'patterns:\n  - pattern: return ...\n  - pattern-inside: |\n      class $CLASS:\n        ...\n  - pattern-inside: |\n      def __init__(...):\n          ...',
      ),
    );
    const code = [
      'class A:',
      '    def __init__(self):',
      '        return None',
      '',
      'class B:',
      '    def __init__(self):',
      '        self.inited = True',
      '',
      'def foo():',
      '    return 5',
      '',
    ].join('\n');
    expect(matchTexts(doc, code)).toEqual(['return None']);
  });

  it('unifies metavariables across pattern-inside and pattern (function argument passed to open)', () => {
    const doc = only(rule('python', 'patterns:\n  - pattern-inside: |\n      def $F($X):\n          ...\n  - pattern: open($X)'));
    expect(matchTexts(doc, 'def foo(path):\n    open(path)\n\ndef bar(path):\n    open(something_else)\n')).toEqual(['open(path)']);
  });

  it('pattern-inside is inclusive: a match equal to the context range is inside it', () => {
    const doc = only(rule('javascript', 'patterns:\n  - pattern: eval($X)\n  - pattern-inside: eval(...)'));
    expect(matchTexts(doc, 'eval(a); foo(b)')).toEqual(['eval(a)']);
  });

  it('pattern-not-inside over a statement sequence: open() never followed by close()', () => {
    const doc = only(
      rule('python', 'patterns:\n  - pattern: $F = open(...)\n  - pattern-not-inside: |\n      $F = open(...)\n      ...\n      $F.close()'),
    );
    const code = [
      'def func1():',
      "    fd = open('test.txt')",
      '    results = fd.read()',
      '    return results',
      '',
      'def func2():',
      "    fd = open('test.txt')",
      '    results = fd.read()',
      '    fd.close()',
      '    return results',
      '',
    ].join('\n');
    expect(matchTexts(doc, code)).toEqual(["fd = open('test.txt')"]);
  });

  it('pattern-regex inside a pattern-inside: an IP address in boto3.client(host=...)', () => {
    const doc = only(
      rule('python', 'patterns:\n  - pattern-inside: boto3.client(host="...")\n  - pattern-regex: \'\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\''),
    );
    const found = matchTexts(doc, 'client = boto3.client(host="192.168.1.200")\nclient = boto3.client(host="dev.internal.example.com")\n');
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('192.168.1.200');
  });

  it('pattern-regex alone reports the smallest node holding the match, once', () => {
    const doc = only(rule('javascript', "pattern-regex: eval\\("));
    expect(matchTexts(doc, "eval('var a = 5');\nx.evaluate(1);\n")).toEqual(["eval('var a = 5')"]);
    expect(doc.metadata.semgrep.approximations.join()).toContain('pattern-regex');
  });
});

describe('metavariable conditions', () => {
  const methods = 'module.insecure1("test")\nmodule.insecure2("test")\nmodule.secure("test")\n';

  it('metavariable-regex is anchored at the start like re.match', () => {
    const doc = only(rule('python', 'patterns:\n  - pattern: module.$METHOD(...)\n  - metavariable-regex:\n      metavariable: $METHOD\n      regex: (insecure)'));
    expect(matchTexts(doc, methods)).toEqual(['module.insecure1("test")', 'module.insecure2("test")']);
  });

  it('a regex that re.search would find mid-string does not match (secure vs insecure1)', () => {
    const doc = only(rule('python', 'patterns:\n  - pattern: module.$METHOD(...)\n  - metavariable-regex:\n      metavariable: $METHOD\n      regex: secure'));
    expect(matchTexts(doc, methods)).toEqual(['module.secure("test")']);
    expect(doc.constraints?.METHOD).toEqual({ regex: '^(?:secure)' });
  });

  it('a leading .* allows prefixes, a trailing $ anchors the end', () => {
    const prefix = only(rule('python', 'patterns:\n  - pattern: module.$M(...)\n  - metavariable-regex:\n      metavariable: $M\n      regex: (.*secure)'));
    expect(matchTexts(prefix, methods)).toHaveLength(3);
    const end = only(rule('python', 'patterns:\n  - pattern: module.$M(...)\n  - metavariable-regex:\n      metavariable: $M\n      regex: (insecure$)'));
    expect(matchTexts(end, methods)).toEqual([]);
  });

  it('anchors every branch of a top-level alternation', () => {
    const doc = only(rule('javascript', 'patterns:\n  - pattern: f($A)\n  - metavariable-regex:\n      metavariable: $A\n      regex: ab|cd'));
    expect(matchTexts(doc, 'f(abx); f(xcd); f(cdx); f(xab)')).toEqual(['f(abx)', 'f(cdx)']);
  });

  it('metavariable-pattern matches the formula anywhere in the bound code', () => {
    const doc = only(
      rule('python', 'patterns:\n  - pattern: requests.get($URL)\n  - metavariable-pattern:\n      metavariable: $URL\n      pattern: request.$W'),
    );
    expect(matchTexts(doc, 'requests.get(request.args)\nrequests.get("http://x/" + request.path)\nrequests.get(url)\n')).toEqual([
      'requests.get(request.args)',
      'requests.get("http://x/" + request.path)',
    ]);
  });

  it('metavariable-pattern with only pattern-not filters on the bound code itself', () => {
    const doc = only(
      rule('javascript', 'patterns:\n  - pattern: setTimeout($CB, ...)\n  - metavariable-pattern:\n      metavariable: $CB\n      patterns:\n        - pattern-not: function (...) { ... }'),
    );
    expect(matchTexts(doc, 'setTimeout("alert(1)", 10); setTimeout(function () { go(); }, 10)')).toEqual(['setTimeout("alert(1)", 10)']);
  });

  it('metavariable-regex in a pattern-either branch whose metavariable is bound only there', () => {
    const doc = only(
      rule(
        'javascript',
        'pattern-either:\n  - patterns:\n      - pattern: a.$M()\n      - metavariable-regex:\n          metavariable: $M\n          regex: get\n  - pattern: b.run()',
      ),
    );
    expect(matchTexts(doc, 'a.getX(); a.setX(); b.run(); b.getX()')).toEqual(['a.getX()', 'b.run()']);
  });
});

describe('rule fields', () => {
  it('maps severity, message, metadata and fix', () => {
    const t = translate(`rules:
  - id: md5
    message: Found md5 use of $X
    severity: ERROR
    languages: [python]
    pattern: hashlib.md5($X)
    fix: hashlib.sha256($X)
    metadata:
      cwe:
        - "CWE-327: Use of a Broken or Risky Cryptographic Algorithm"
      owasp: "A02:2021 - Cryptographic Failures"
      confidence: HIGH
      references: [https://example.com/md5]
      category: security
  - id: info
    message: m
    severity: INFO
    languages: [python]
    pattern: foo()
  - id: new-style
    message: m
    severity: CRITICAL
    languages: [python]
    pattern: foo()
`);
    expect(t.errors).toEqual([]);
    const [md5, info, critical] = t.rules;
    expect(md5).toMatchObject({
      id: 'md5',
      language: 'python',
      message: 'Found md5 use of $X',
      severity: 'high',
      fix: 'hashlib.sha256($X)',
      metadata: {
        cwe: ['CWE-327'],
        owasp: ['A02:2021 - Cryptographic Failures'],
        confidence: 'high',
        references: ['https://example.com/md5'],
        semgrep: { id: 'md5', file: 'rules/semgrep.yml', approximations: [] },
      },
    });
    expect(md5.note).toContain('semgrep rule "md5"');
    expect(info.severity).toBe('low');
    expect(critical.severity).toBe('critical');
  });

  it('turns paths include/exclude into files/ignores globs matching the path or anything under it', () => {
    const doc = only(
      rule('python', 'pattern: foo()', '    paths:\n      include:\n        - "*_test.py"\n        - project/server\n      exclude: "/vendor/"\n'),
    );
    expect(doc.files).toEqual(['**/*_test.py', '**/*_test.py/**', '**/project/server', '**/project/server/**']);
    expect(doc.ignores).toEqual(['vendor', 'vendor/**']);
  });

  it('emits one ast-grep rule per language (TypeScript also as TSX), each matching in its language', () => {
    const t = translate(rule('javascript, typescript, python', 'pattern: eval($X)'));
    expect(t.errors).toEqual([]);
    expect(t.rules.map((r) => r.language)).toEqual(['javascript', 'typescript', 'tsx', 'python']);
    expect(new Set(t.rules.map((r) => r.id))).toEqual(new Set(['r']));
    const code: Record<string, string> = {
      javascript: 'eval(a); evaluate(b)',
      typescript: 'const x: string = eval(a); evaluate(b)',
      tsx: 'const e = <div>{eval(a)}</div>; evaluate(b)',
      python: 'eval(a)\nevaluate(b)\n',
    };
    for (const doc of t.rules) expect(matchTexts(doc, code[doc.language])).toEqual(['eval(a)']);
  });

  it('translates Swift and Scala patterns, "..." arguments included', () => {
    const swift = only(rule('swift', 'pattern: evaluate(...)'));
    expect(swift.language).toBe('swift');
    expect(matchTexts(swift, 'let a = evaluate(x, y)\nlet b = evaluated(x)\n')).toEqual(['evaluate(x, y)']);
    const scala = only(rule('scala', 'pattern: Runtime.getRuntime().exec($CMD)'));
    expect(scala.language).toBe('scala');
    expect(matchTexts(scala, 'object M { def f(c: String) = Runtime.getRuntime().exec(c) }\n')).toEqual(['Runtime.getRuntime().exec(c)']);
  });
});

describe('untranslated rules name the construct', () => {
  const cases: [string, string, string][] = [
    [
      'taint mode',
      'mode: taint\npattern-sources:\n  - pattern: source()\npattern-sinks:\n  - pattern: sink(...)',
      'mode: taint',
    ],
    ['focus-metavariable', 'patterns:\n  - pattern: foo($X)\n  - focus-metavariable: $X', 'focus-metavariable'],
    ['metavariable-comparison', 'patterns:\n  - pattern: set_port($A)\n  - metavariable-comparison:\n      metavariable: $A\n      comparison: $A < 1024', 'metavariable-comparison'],
    ['metavariable-type', 'patterns:\n  - pattern: $X == $Y\n  - metavariable-type:\n      metavariable: $Y\n      type: str', 'metavariable-type'],
    ['pattern-where-python', 'patterns:\n  - pattern: foo($X)\n  - pattern-where-python: "True"', 'pattern-where-python'],
    ['pattern-not-regex', 'patterns:\n  - pattern-regex: foo\n  - pattern-not-regex: foo-', 'pattern-not-regex'],
    ['fix-regex', 'pattern: foo()\nfix-regex:\n  regex: foo\n  replacement: bar', 'fix-regex'],
    ['deep expression operator', 'pattern: |\n  if <... $USER.is_admin() ...>:\n    ...', 'deep expression operator <... e ...>'],
    ['method-chain ellipsis', 'pattern: $O.foo(). ... .bar()', 'method-chain ellipsis (. ... .)'],
    ['deprecated string regex', 'pattern: requests.get("=~/dev\\./i")', 'deprecated string regex "=~/.../"'],
    ['symmetric_eq option', 'pattern: $A == $B\noptions:\n  symmetric_eq: true', 'options.symmetric_eq'],
    [
      'PCRE lookahead in metavariable-regex',
      'patterns:\n  - pattern: request.$W\n  - metavariable-regex:\n      metavariable: $W\n      regex: (?!get_full_path)',
      'metavariable-regex with regex syntax outside RE2 (lookaround, backreferences, ...)',
    ],
    [
      'a condition scoped to a pattern-either branch whose metavariable is bound elsewhere too',
      'patterns:\n  - pattern: f($X)\n  - pattern-either:\n      - patterns:\n          - pattern: f($X)\n          - metavariable-regex:\n              metavariable: $X\n              regex: a\n      - pattern: f(1)',
      'metavariable-regex scoped to a nested patterns block',
    ],
    [
      'a condition under pattern-not',
      'patterns:\n  - pattern: f(...)\n  - pattern-not:\n      patterns:\n        - pattern: f($Z)\n        - metavariable-regex:\n            metavariable: $Z\n            regex: a',
      'metavariable-regex inside pattern-not / pattern-not-inside',
    ],
    ['a condition on an ellipsis metavariable', 'patterns:\n  - pattern: f($...A)\n  - metavariable-regex:\n      metavariable: $...A\n      regex: a', 'metavariable-regex on an ellipsis metavariable $...A'],
    ['experimental match syntax', 'match:\n  any:\n    - foo()', 'match'],
  ];
  for (const [name, body, construct] of cases) {
    it(name, () => {
      const t = translate(rule('python', body));
      expect(t.errors.map((e) => e.format())).toEqual([]);
      expect(t.rules).toEqual([]);
      expect(t.untranslated).toHaveLength(1);
      expect(t.untranslated[0].id).toBe('r');
      expect(t.untranslated[0].constructs).toContain(construct);
      expect(t.untranslated[0].reason).toContain(construct);
    });
  }

  it('join mode', () => {
    const t = translate('rules:\n  - id: j\n    mode: join\n    message: m\n    severity: INFO\n    join:\n      rules: []\n      on: []\n');
    expect(t.errors).toEqual([]);
    expect(t.untranslated[0].constructs).toEqual(['join', 'mode: join']);
  });

  it('typed metavariables (Java, Go, TypeScript) but not a TypeScript arrow parameter', () => {
    const java = translate(rule('java', 'pattern: $X == (String $Y)'));
    expect(java.untranslated[0]?.constructs).toContain('typed metavariable');
    // Java has no grammar in this test process: translate without the napi check.
    const catchClause = translateSemgrepRules(rule('java', 'pattern: "try { $S; } catch (Exception $E) { }"'), 'r.yml');
    expect(catchClause.untranslated).toEqual([]);
    expect(catchClause.rules.map((r) => r.language)).toEqual(['java']);
    const go = translate(rule('go', 'pattern: "($READER : *zip.Reader).Open($INPUT)"'));
    expect(go.untranslated[0]?.constructs).toContain('typed metavariable');
    const ts = translate(rule('typescript', 'pattern: "($X: DomSanitizer).sanitize(...)"'));
    expect(ts.untranslated[0]?.constructs).toContain('typed metavariable');
    const arrow = translate(rule('typescript', 'pattern: "($X: string) => $BODY"'));
    expect(arrow.untranslated).toEqual([]);
    expect(arrow.rules).toHaveLength(2);
  });

  it('a language without an ast-grep grammar in Warden', () => {
    const t = translate(rule('generic', 'pattern: password = ...'));
    expect(t.untranslated[0].constructs).toEqual(['languages: generic']);
  });

  it('lists every construct of a rule, and keeps translating the other rules of the file', () => {
    const t = translate(`rules:
  - id: bad
    message: m
    severity: WARNING
    languages: [python]
    patterns:
      - pattern: foo($X)
      - focus-metavariable: $X
      - metavariable-comparison:
          metavariable: $X
          comparison: $X > 1
  - id: good
    message: m
    severity: WARNING
    languages: [python]
    pattern: foo(1)
`);
    expect(t.untranslated).toEqual([
      { id: 'bad', constructs: ['focus-metavariable', 'metavariable-comparison'], reason: expect.stringContaining('focus-metavariable, metavariable-comparison') },
    ]);
    expect(t.rules.map((r) => r.id)).toEqual(['good']);
  });

  it('a translation ast-grep cannot compile is reported, not emitted', () => {
    const t = translate(rule('javascript', 'pattern: a b c'));
    expect(t.rules).toEqual([]);
    expect(t.untranslated[0].constructs).toEqual(['pattern ast-grep rejects (javascript)']);
  });
});

describe('malformed rule files', () => {
  function firstError(yamlText: string): { message: string; line?: number; col?: number; file: string } {
    const t = translateSemgrepRules(yamlText, 'bad.yml');
    expect(t.errors.length).toBeGreaterThan(0);
    const e = t.errors[0];
    expect(e.code).toBe('rule_invalid');
    return { message: e.message, line: e.location?.line, col: e.location?.col, file: e.location?.file ?? '' };
  }

  it('names file, line and key for an unknown rule key', () => {
    const e = firstError('rules:\n  - id: r\n    message: m\n    severity: WARNING\n    languages: [python]\n    pattern: foo()\n    patern-not: bar()\n');
    expect(e).toMatchObject({ file: 'bad.yml', line: 7, col: 5 });
    expect(e.message).toContain('patern-not');
  });

  it('names an unknown operator inside patterns', () => {
    const e = firstError('rules:\n  - id: r\n    message: m\n    severity: WARNING\n    languages: [python]\n    patterns:\n      - pattern: foo()\n      - patern-inside: bar()\n');
    expect(e.line).toBe(8);
    expect(e.message).toContain('patern-inside');
  });

  it('names a missing required key and a bad severity', () => {
    const missing = firstError('rules:\n  - id: r\n    message: m\n    languages: [python]\n    pattern: foo()\n');
    expect(missing.message).toContain('severity');
    expect(missing.line).toBe(2);
    const bad = firstError('rules:\n  - id: r\n    message: m\n    severity: URGENT\n    languages: [python]\n    pattern: foo()\n');
    expect(bad).toMatchObject({ line: 4 });
    expect(bad.message).toContain('URGENT');
  });

  it('reports YAML syntax errors with their position', () => {
    const e = firstError('rules:\n  - id: r\n    message: [unclosed\n');
    expect(e.message).toContain('YAML syntax error');
    expect(e.line).toBeGreaterThanOrEqual(3);
  });

  it('reports an invalid regex at its line', () => {
    const e = firstError('rules:\n  - id: r\n    message: m\n    severity: WARNING\n    languages: [python]\n    pattern-regex: "a(b"\n');
    expect(e.line).toBe(6);
    expect(e.message).toContain('invalid regular expression');
  });

  it('reports duplicate rule ids', () => {
    const one = 'message: m\n    severity: INFO\n    languages: [python]\n    pattern: foo()\n';
    const e = firstError(`rules:\n  - id: r\n    ${one}  - id: r\n    ${one}`);
    expect(e.message).toContain('duplicate rule id');
    expect(e.line).toBe(7);
  });
});
