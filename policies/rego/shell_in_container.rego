# METADATA
# title: Shell spawned in a container
# description: A shell binary was executed inside a container (interactive kubectl exec, or a compromised process spawning a shell).
# custom:
#   severity: 5
#   operations: [Process]
#   mitre: [T1059.004, T1609]
#   tags: [MITRE, MITRE_TA0002_execution]
package otelarmor.rules.shell_in_container

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Shell ", lib.path(e), " spawned in container ", object.get(e, "ContainerName", ""), " by ", lib.parent(e)])} if {
	some n in lib.shells
	some i in lib.exec_by_name(n)
	e := input.events[i]
	lib.in_container(e)
}
