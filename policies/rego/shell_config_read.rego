# METADATA
# title: Shell configuration file read by an unexpected program
# description: A shell start-up file was read by a program that is neither a shell nor a login/session tool. Such reads reveal aliases, PATH and secrets exported there.
# custom:
#   severity: 3
#   operations: [File]
#   mitre: [T1083, T1552.001]
#   tags: [MITRE, MITRE_TA0007_discovery]
package otelarmor.rules.shell_config_read

import data.otelarmor.lib

expected := lib.shells | {"su", "sudo", "login", "sshd", "runuser", "screen", "tmux", "systemd", "sshd-session", "gdm-session-worker"}

alerts contains {"i": i, "message": concat("", ["Shell configuration file ", p, " read by ", lib.proc(e)])} if {
	some i in lib.shell_config_candidates
	e := input.events[i]
	lib.open_read_only(e)
	p := lib.path(e)
	lib.shell_config_file(p)
	not lib.proc_base(e) in expected
}
