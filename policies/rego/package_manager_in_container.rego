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
	some n in lib.package_managers
	some i in lib.exec_by_name(n)
	e := input.events[i]
	lib.in_container(e)
}
