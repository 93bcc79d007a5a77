# METADATA
# title: Fileless execution
# description: A program was executed from memory (memfd_create; /memfd:..., a deleted file) or through a /proc/<pid>/fd or /dev/fd descriptor path, leaving nothing on disk.
# custom:
#   severity: 9
#   operations: [Process]
#   mitre: [T1620, T1027]
#   tags: [MITRE, MITRE_TA0005_defense_evasion]
package otelarmor.rules.fileless_execution

import data.otelarmor.lib

fileless(p) if startswith(p, "/memfd:")

fileless(p) if endswith(p, " (deleted)")

fileless(p) if regex.match(`^/(proc/(self|[0-9]+)|dev)/fd/[0-9]+$`, p)

alerts contains {"i": i, "message": concat("", ["Fileless execution of ", p, " by ", lib.parent(e)])} if {
	some i in lib.execs
	e := input.events[i]
	p := lib.path(e)
	fileless(p)
}
