# METADATA
# title: Search for private keys or secrets
# description: find/grep/locate/egrep was run looking for private keys or cloud credentials (id_rsa, *.pem, BEGIN ... PRIVATE KEY, aws_secret_access_key).
# custom:
#   severity: 5
#   operations: [Process]
#   mitre: [T1552.001, T1083]
#   tags: [MITRE, MITRE_TA0006_credential_access]
package otelarmor.rules.private_key_search

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Search for secrets: ", lib.cmdline(e)])} if {
	some n in {"find", "grep", "egrep", "fgrep", "rg", "locate", "mlocate"}
	some i in lib.exec_by_name(n)
	e := input.events[i]
	regex.match(`(?i)(id_(rsa|dsa|ecdsa|ed25519)|\.pem\b|BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key|\.aws/credentials)`, lib.cmdline(e))
}
