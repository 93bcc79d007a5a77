# METADATA
# title: Execution from a temporary directory
# description: A binary was executed from /tmp, /var/tmp or /dev/shm, where dropped payloads usually land.
# custom:
#   severity: 6
#   operations: [Process]
#   mitre: [T1059, T1105]
#   tags: [MITRE, MITRE_TA0002_execution]
package otelarmor.rules.execution_from_tmp

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Executed from a temporary directory: ", p])} if {
	some i in lib.execs
	e := input.events[i]
	p := lib.path(e)
	some d in {"/tmp/", "/var/tmp/", "/dev/shm/"}
	startswith(p, d)
}
