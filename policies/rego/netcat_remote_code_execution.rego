# METADATA
# title: Netcat remote code execution
# description: nc/ncat/netcat started with an option that runs a program over the connection (-e, -c, --exec, --sh-exec, --lua-exec, also inside clustered short options such as -lvpe).
# custom:
#   severity: 9
#   operations: [Process]
#   mitre: [T1059, T1095]
#   tags: [MITRE, MITRE_TA0002_execution]
package otelarmor.rules.netcat_remote_code_execution

import data.otelarmor.lib

netcats := {"nc", "ncat", "netcat", "nc.traditional", "nc.openbsd"}

long_exec := {"--exec", "--sh-exec", "--lua-exec"}

exec_option(a) if a in long_exec

exec_option(a) if {
	some o in long_exec
	startswith(a, concat("", [o, "="]))
}

# Short options cluster; -e/-c take a value, attached or next: -e, -c, -lvpe, -e/bin/sh.
exec_option(a) if regex.match(`^-[a-z0-9]*[ec]`, a)

alerts contains {"i": i, "message": concat("", ["Netcat runs a program for the network peer: ", lib.cmdline(e)])} if {
	some n in netcats
	some i in lib.exec_by_name(n)
	e := input.events[i]
	some k, a in lib.args(e)
	k > 0
	exec_option(a)
}
