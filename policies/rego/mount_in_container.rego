# METADATA
# title: Mount inside a container
# description: mount(2) was called inside a container, a common step of container escapes (mounting the host disk, cgroupfs or procfs).
# custom:
#   severity: 8
#   operations: [Syscall]
#   mitre: [T1611]
#   tags: [MITRE, MITRE_TA0004_privilege_escalation]
package otelarmor.rules.mount_in_container

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["mount in container ", object.get(e, "ContainerName", ""), " by ", lib.proc(e), ": ", object.get(e, "Data", "")])} if {
	some i, e in input.events
	lib.in_container(e)
	e.extras.syscall == "mount"
}
