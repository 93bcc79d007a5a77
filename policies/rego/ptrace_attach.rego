# METADATA
# title: Ptrace attach to another process
# description: ptrace(PTRACE_ATTACH/SEIZE) or a memory poke (POKETEXT/POKEDATA/POKEUSER); code injection into, or credential theft from, another process.
# custom:
#   severity: 8
#   operations: [Process, Syscall]
#   mitre: [T1055.008]
#   tags: [MITRE, MITRE_TA0004_privilege_escalation]
package otelarmor.rules.ptrace_attach

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["ptrace ", req, " by ", lib.proc(e), " (", data_str, ")"])} if {
	some i in lib.candidates("syscall", "ptrace")
	e := input.events[i]
	data_str := object.get(e, "Data", "")
	m := regex.find_all_string_submatch_n(`request=(PTRACE_(ATTACH|SEIZE|POKETEXT|POKEDATA|POKEUSER))\b`, data_str, 1)
	req := m[0][1]
}
