# METADATA
# title: Shell history deleted
# description: A shell or interpreter history file (.bash_history, .zsh_history, ...) was truncated or removed.
# custom:
#   severity: 6
#   operations: [File]
#   mitre: [T1070.003]
#   tags: [MITRE, MITRE_TA0005_defense_evasion]
package otelarmor.rules.shell_history_deleted

import data.otelarmor.lib

histories := {".bash_history", ".zsh_history", ".ash_history", ".sh_history", ".history", ".python_history", ".mysql_history", ".psql_history"}

cleared(e) if lib.truncated(e)

cleared(e) if lib.is_unlink(e)

alerts contains {"i": i, "message": concat("", ["Shell history ", p, " deleted by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	cleared(e)
	p := lib.path(e)
	lib.basename(p) in histories
}
