# METADATA
# title: User account file modified
# description: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow or a sudoers file was written or removed; accounts or privileges are being added.
# custom:
#   severity: 8
#   operations: [File]
#   mitre: [T1136.001, T1098]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.account_file_modified

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Account file ", p, " modified by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	p := lib.path(e)
	lib.account_file(p)
}
