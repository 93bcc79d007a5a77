# METADATA
# title: Write below /etc
# description: A file below /etc was opened for writing, created, truncated or removed by a program that is not a package manager. Files with a more specific rule (shell start-up, cron, accounts, ld.so.preload) are left to that rule.
# custom:
#   severity: 5
#   operations: [File]
#   mitre: [T1543, T1222]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.write_below_etc

import data.otelarmor.lib

specific(p) if lib.shell_config_file(p)

specific(p) if lib.cron_file(p)

specific(p) if lib.account_file(p)

specific("/etc/ld.so.preload")

alerts contains {"i": i, "message": concat("", ["File below /etc modified: ", p, " by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	p := lib.path(e)
	startswith(p, "/etc/")
	not specific(p)
	not lib.proc_base(e) in lib.package_managers
}
