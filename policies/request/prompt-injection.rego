# METADATA
# title: Prompt injection
# description: >-
#   Warns when the prompt-injection heuristics score a prompt above 0.7 (instruction overrides,
#   jailbreak personas, hidden or encoded instructions, invisible Unicode).
# custom:
#   name: prompt-injection
#   type: security
#   enforcement: warning
package warden.request

threshold := 0.7

warn contains result if {
	input.detectors.injection.score > threshold
	signals := [s.id | some s in input.detectors.injection.signals]
	result := {
		"msg": sprintf("possible prompt injection (score %.2f: %s)", [input.detectors.injection.score, concat(", ", signals)]),
		"severity": "high",
		"score": input.detectors.injection.score,
		"signals": signals,
	}
}
