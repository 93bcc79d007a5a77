# METADATA
# title: Credential file read
# description: /etc/shadow, /etc/gshadow, their backups, /etc/security/opasswd or the sudoers files were opened by a program other than the authentication tools that need them.
# custom:
#   severity: 8
#   operations: [File]
#   mitre: [T1003.008, T1552.001]
#   tags: [MITRE, MITRE_TA0006_credential_access]
package otelarmor.rules.credential_file_read

import data.otelarmor.lib

files := {"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd", "/etc/sudoers"}

readers := {
	"unix_chkpwd", "passwd", "chage", "login", "sshd", "sshd-session", "su", "sudo", "useradd", "usermod",
	"userdel", "groupadd", "groupmod", "chpasswd", "vipw", "pwck", "grpck", "cron", "systemd-logind",
}

credential(p) if p in files

candidates contains i if {
	some f in files
	some i in lib.by_base(lib.basename(f))
}

candidates contains i if some i in lib.by_dir("/etc/sudoers.d")

credential(p) if startswith(p, "/etc/sudoers.d/")

alerts contains {"i": i, "message": concat("", ["Credential file ", p, " opened by ", lib.proc(e)])} if {
	some i in candidates
	e := input.events[i]
	lib.is_open(e)
	p := lib.path(e)
	credential(p)
	not lib.proc_base(e) in readers
}
