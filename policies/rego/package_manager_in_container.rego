# METADATA
# title: Package manager run in a container
# description: A package manager ran inside a running container; images should be immutable, so this is tooling being pulled in.
# custom:
#   severity: 4
#   operations: [Process]
#   mitre: [T1072, T1105]
#   tags: [MITRE, MITRE_TA0002_execution]
package otelarmor.rules.package_manager_in_container

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Package manager run in container ", object.get(e, "ContainerName", ""), ": ", lib.cmdline(e)])} if {
	some i, e in input.events
	lib.in_container(e)
	lib.is_exec(e)
	some n in lib.exec_names(e)
	n in lib.package_managers
}
