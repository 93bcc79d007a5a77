# METADATA
# title: SSH private key read
# description: An SSH private key (~/.ssh/id_rsa, id_ecdsa, id_ed25519, id_dsa, ssh_host_*_key) was opened by a program other than the SSH tools.
# custom:
#   severity: 7
#   operations: [File]
#   mitre: [T1552.004]
#   tags: [MITRE, MITRE_TA0006_credential_access]
package otelarmor.rules.ssh_private_key_read

import data.otelarmor.lib

ssh_tools := {"ssh", "sshd", "sshd-session", "ssh-agent", "ssh-add", "ssh-keygen", "scp", "sftp", "git", "ssh-keysign"}

candidates contains i if {
	some n in {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
	some i in lib.by_base(n)
}

candidates contains i if some i in lib.by_dir("/etc/ssh")

alerts contains {"i": i, "message": concat("", ["SSH private key ", p, " opened by ", lib.proc(e)])} if {
	some i in candidates
	e := input.events[i]
	lib.is_open(e)
	p := lib.path(e)
	regex.match(`(/\.ssh/id_(rsa|dsa|ecdsa|ed25519)(_sk)?|^/etc/ssh/ssh_host_[a-z0-9]+_key)$`, p)
	not lib.proc_base(e) in ssh_tools
}
