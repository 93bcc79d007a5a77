# METADATA
# title: Write below a binary directory
# description: A file in /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/(s)bin or a library directory was opened for writing, created, truncated or removed by a program that is not a package manager.
# custom:
#   severity: 7
#   operations: [File]
#   mitre: [T1554, T1036.005]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.write_below_binary_dir

import data.otelarmor.lib

dirs := {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"}

alerts contains {"i": i, "message": concat("", ["Binary directory modified: ", p, " by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	p := lib.path(e)
	some d in dirs
	startswith(p, d)
	not lib.proc_base(e) in lib.package_managers
}
