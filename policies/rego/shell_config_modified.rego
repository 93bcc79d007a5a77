# METADATA
# title: Shell configuration file modified
# description: A shell start-up file (~/.bashrc, ~/.profile, ~/.zshrc, /etc/profile, /etc/bash.bashrc, ...) was opened for writing, created, truncated or removed. Attackers plant commands there to run on every login.
# custom:
#   severity: 6
#   operations: [File]
#   mitre: [T1546.004]
#   tags: [MITRE, MITRE_TA0003_persistence]
package otelarmor.rules.shell_config_modified

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Shell configuration file ", p, " modified by ", lib.proc(e)])} if {
	some i in lib.writes
	e := input.events[i]
	p := lib.path(e)
	lib.shell_config_file(p)
}
