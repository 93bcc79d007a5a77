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
	some i, e in input.events
	lib.in_container(e)
	lib.is_exec(e)
	some n in lib.exec_names(e)
	n in lib.shells
}
