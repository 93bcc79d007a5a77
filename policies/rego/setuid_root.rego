# METADATA
# title: Setuid to root by a non-root process
# description: A process running with a non-zero uid called setuid/setreuid/setresuid with uid 0, i.e. tried to become root.
# custom:
#   severity: 8
#   operations: [Syscall]
#   mitre: [T1548.001]
#   tags: [MITRE, MITRE_TA0004_privilege_escalation]
package otelarmor.rules.setuid_root

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", [e.extras.syscall, "(0) by uid ", format_int(e.UID, 10), " in ", lib.proc(e), " (", e.Result, ")"])} if {
	some i, e in input.events
	e.extras.syscall in {"setuid", "setreuid", "setresuid"}
	e.UID != 0
	regex.match(`(^| )(userid|ruid|euid)=0( |$)`, object.get(e, "Data", ""))
}
