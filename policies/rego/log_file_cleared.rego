# METADATA
# title: Log file cleared
# description: A file below /var/log was truncated (O_TRUNC) or removed by a program other than logrotate/journald.
# custom:
#   severity: 6
#   operations: [File]
#   mitre: [T1070.002]
#   tags: [MITRE, MITRE_TA0005_defense_evasion]
package otelarmor.rules.log_file_cleared

import data.otelarmor.lib

cleared(e) if lib.truncated(e)

cleared(e) if lib.is_unlink(e)

alerts contains {"i": i, "message": concat("", ["Log file ", p, " cleared by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	cleared(e)
	p := lib.path(e)
	startswith(p, "/var/log/")
	not lib.proc_base(e) in {"logrotate", "systemd-journald", "rsyslogd"}
}
