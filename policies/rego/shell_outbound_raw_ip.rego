# METADATA
# title: Outbound connection from a shell to a raw IP
# description: A shell process itself connected to a non-local IPv4/IPv6 address (bash /dev/tcp, zsh ztcp); shells do not open sockets in normal use.
# custom:
#   severity: 8
#   operations: [Network]
#   mitre: [T1059.004, T1095]
#   tags: [MITRE, MITRE_TA0011_command_and_control]
package otelarmor.rules.shell_outbound_raw_ip

import data.otelarmor.lib

local_nets := {"127.0.0.0/8", "0.0.0.0/32", "::1/128", "::/128"}

alerts contains {"i": i, "message": concat("", ["Shell ", lib.proc(e), " connected to ", addr, ":", format_int(object.get(sa, "port", 0), 10)])} if {
	some i, e in input.events
	e.extras.syscall == "connect"
	lib.proc_base(e) in lib.shells
	sa := e.extras.sockaddr
	sa.family in {"AF_INET", "AF_INET6"}
	addr := sa.addr
	every cidr in local_nets {
		not net.cidr_contains(cidr, addr)
	}
}
