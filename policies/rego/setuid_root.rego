# METADATA
# title: Setuid to root by a non-root process
# description: A process whose uid was still non-zero when setuid(0) returned, i.e. an attempt to become root that the kernel refused (a setuid(0) that succeeds leaves uid 0 and is not flagged). setreuid/setresuid are not traced by the syscall sensor.
# custom:
#   severity: 8
#   operations: [Syscall]
#   mitre: [T1548.001]
#   tags: [MITRE, MITRE_TA0004_privilege_escalation]
package otelarmor.rules.setuid_root

import data.otelarmor.lib

# Data is KubeArmor's "syscall=SYS_SETUID userid=<n>"; UID is the caller's uid when setuid returned.
alerts contains {"i": i, "message": concat("", ["setuid(0) by uid ", format_int(e.UID, 10), " in ", lib.proc(e), " (", e.Result, ")"])} if {
	some i in lib.candidates("syscall", "setuid")
	e := input.events[i]
	e.UID != 0
	regex.match(`(^| )userid=0( |$)`, object.get(e, "Data", ""))
}
