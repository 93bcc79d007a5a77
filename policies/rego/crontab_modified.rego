# METADATA
# title: Crontab modified
# description: A cron table (/etc/crontab, /etc/cron.d, /etc/cron.{hourly,daily,weekly,monthly}, /var/spool/cron) was written or removed, or crontab(1) was run to install, edit or remove a table.
# custom:
#   severity: 6
#   operations: [File, Process]
#   mitre: [T1053.003]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.crontab_modified

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Cron table modified: ", p, " by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	e.Operation == "File"
	p := lib.path(e)
	lib.cron_file(p)
	lib.proc_base(e) != "crontab" # reported once, at the crontab exec
}

# crontab with -l only lists; any other invocation (file operand, -, -e, -r, -i) changes a table.
alerts contains {"i": i, "message": concat("", ["crontab run to change a table: ", lib.cmdline(e)])} if {
	some i in lib.exec_by_name("crontab")
	e := input.events[i]
	not "-l" in lib.args(e)
}
