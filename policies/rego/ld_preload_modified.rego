# METADATA
# title: Dynamic linker preload file modified
# description: /etc/ld.so.preload was written, created or removed; every dynamically linked program will load the listed library.
# custom:
#   severity: 9
#   operations: [File]
#   mitre: [T1574.006]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.ld_preload_modified

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["/etc/ld.so.preload modified by ", lib.proc(e)])} if {
	some i in lib.by_base("ld.so.preload")
	e := input.events[i]
	lib.modified(e)
	lib.path(e) == "/etc/ld.so.preload"
}
