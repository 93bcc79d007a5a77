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
	some n in tools
	some i in lib.exec_by_name(n)
	e := input.events[i]
	e.HostPPID != 2
}

alerts contains {"i": i, "message": concat("", ["Kernel module tool run: ", lib.cmdline(e)])} if {
	some i in lib.exec_by_name("kmod")
	e := input.events[i]
	e.HostPPID != 2
	lib.args(e)[1] in {"insmod", "rmmod", "modprobe", "load"}
}
