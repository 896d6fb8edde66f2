# METADATA
# title: Model allowlist (example)
# description: >-
#   Denies requests for models outside an allowlist. Disabled: an example to copy into your own
#   policies/ directory, with your models and `enabled: true`.
# custom:
#   name: model-allowlist
#   type: model_access
#   enforcement: strict
#   enabled: false
package warden.request

allowed := [
	"gpt-4o*",
	"gpt-4.1*",
	"gpt-5*",
	"o3*",
	"o4-mini*",
	"claude-*",
]

permitted if {
	some pattern in allowed
	glob.match(pattern, null, input.request.model)
}

deny contains msg if {
	input.request.model != null
	not permitted
	msg := sprintf("model %s is not on the allowlist of policy model-allowlist", [input.request.model])
}
