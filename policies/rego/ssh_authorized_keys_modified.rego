# METADATA
# title: SSH authorized_keys modified
# description: An authorized_keys file was written, created or removed; a key is being added for persistent access.
# custom:
#   severity: 7
#   operations: [File]
#   mitre: [T1098.004]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.ssh_authorized_keys_modified

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["SSH authorized keys ", p, " modified by ", lib.proc(e)])} if {
	some n in {"authorized_keys", "authorized_keys2"}
	some i in lib.by_base(n)
	e := input.events[i]
	lib.modified(e)
	p := lib.path(e)
}
