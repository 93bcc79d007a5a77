# METADATA
# title: Reverse shell command line
# description: A process was started with a well-known reverse-shell command line (bash -i >& /dev/tcp/..., socat exec:...tcp:, python/perl/php/ruby socket + exec one-liners, mkfifo piped to nc/openssl).
# custom:
#   severity: 9
#   operations: [Process]
#   mitre: [T1059, T1071]
#   tags: [MITRE, MITRE_TA0011_command_and_control]
package otelarmor.rules.reverse_shell

import data.otelarmor.lib

patterns := [
	`/dev/(tcp|udp)/[^/\s]+/[0-9]+`,
	`(?i)socat\b.*\b(exec|system):.*\b(tcp|udp|openssl|ssl)[46]?(-connect)?:`,
	`(?i)socat\b.*\b(tcp|udp|openssl|ssl)[46]?(-connect)?:.*\b(exec|system):`,
	`(?i)socket\b.*\b(connect|fsockopen)\b.*(dup2|pty\.spawn|subprocess|/bin/(ba)?sh|exec)`,
	`(?i)\bfsockopen\s*\(.*(exec|system|passthru|shell_exec|popen|proc_open|/bin/(ba)?sh)`,
	`(?i)TCPSocket\.(new|open)\b.*(exec|spawn|system|/bin/(ba)?sh)`,
	`mkfifo\s+\S+.*\|\s*(nc|ncat|netcat|telnet|openssl)\b`,
]

pattern := concat("|", [concat("", ["(?:", p, ")"]) | some p in patterns])

# Every pattern needs one of these (lower-cased) substrings; the regex runs only on those lines.
hints := {"/dev/tcp/", "/dev/udp/", "socat", "socket", "fsockopen", "mkfifo"}

hinted(cl) if {
	l := lower(cl)
	some h in hints
	contains(l, h)
}

alerts contains {"i": i, "message": concat("", ["Reverse shell command line: ", cl])} if {
	some i in lib.execs
	e := input.events[i]
	cl := lib.cmdline(e)
	hinted(cl)
	regex.match(pattern, cl)
}
