# METADATA
# title: LLM calls go through the Warden proxy
# description: >-
#   Fails the change when it creates an LLM SDK client with a base URL that bypasses the
#   governance proxy (the scan's llm.base-url-bypasses-proxy.* rules): such calls escape the
#   policies, budgets and audit log every other call is held to.
# custom:
#   name: llm-calls-through-proxy
#   type: security
#   enforcement: strict
#   severity: high
package warden.ci

bypass_rule_prefix := "llm.base-url-bypasses-proxy"

deny contains result if {
	some f in input.scan.findings
	not f.suppressed
	startswith(f.rule_id, bypass_rule_prefix)
	result := {
		"msg": sprintf(
			"%s:%d: an LLM client is pinned to a base URL that bypasses the Warden proxy (%s): drop the base URL or read it from OPENAI_BASE_URL / ANTHROPIC_BASE_URL",
			[f.path, f.line, f.rule_id],
		),
		"severity": "high",
		"rule_id": f.rule_id,
		"path": f.path,
		"line": f.line,
	}
}
