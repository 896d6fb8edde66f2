// The semgrep front end's public surface: translating semgrep rule files to ast-grep rule documents,
// and delegating the rules that cannot be translated to a `semgrep` binary when one is installed.
export {
  anchorAtStart,
  mapSemgrepSeverity,
  semgrepGlobToAstGrep,
  translateMetadata,
  translateSemgrepRules,
  type AstGrepRelation,
  type AstGrepRule,
  type AstGrepRuleDoc,
  type SemgrepTranslation,
  type TranslateOptions,
  type TranslatedRuleMetadata,
  type UntranslatedRule,
} from './translate.js';
export {
  convertSemgrepOutput,
  nodeProcessRunner,
  runSemgrep,
  semgrepAvailable,
  semgrepRulesSubset,
  type ProcessResult,
  type ProcessRunner,
  type RunSemgrepOptions,
  type SemgrepDiagnostic,
} from './delegate.js';
