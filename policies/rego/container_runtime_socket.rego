# METADATA
# title: Container runtime socket connected from a container
# description: A process in a container connected to the Docker, containerd or CRI-O API socket, which controls every container on the node.
# custom:
#   severity: 9
#   operations: [Network]
#   mitre: [T1611, T1609]
#   tags: [MITRE, MITRE_TA0004_privilege_escalation]
package otelarmor.rules.container_runtime_socket

import data.otelarmor.lib

sockets := {
	"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
}

alerts contains {"i": i, "message": concat("", ["Container runtime socket ", p, " connected by ", lib.proc(e)])} if {
	some i, e in input.events
	lib.in_container(e)
	e.extras.syscall == "connect"
	p := e.extras.sockaddr.unixPath
	p in sockets
}
