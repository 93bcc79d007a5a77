# METADATA
# title: Kernel module tool run
# description: insmod, modprobe, rmmod or kmod was run by a user process (the kernel's own modprobe requests, children of kthreadd, are ignored).
# custom:
#   severity: 7
#   operations: [Process]
#   mitre: [T1547.006]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.kernel_module_tool

import data.otelarmor.lib

tools := {"insmod", "modprobe", "rmmod"}

alerts contains {"i": i, "message": concat("", ["Kernel module tool run: ", lib.cmdline(e)])} if {
	some i, e in input.events
	lib.is_exec(e)
	e.HostPPID != 2
	names := lib.exec_names(e)
	some n in names
	n in tools
}

alerts contains {"i": i, "message": concat("", ["Kernel module tool run: ", lib.cmdline(e)])} if {
	some i, e in input.events
	lib.is_exec(e)
	e.HostPPID != 2
	"kmod" in lib.exec_names(e)
	lib.args(e)[1] in {"insmod", "rmmod", "modprobe", "load"}
}
