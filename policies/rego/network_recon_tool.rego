# METADATA
# title: Network scanner run
# description: A network scanner (nmap, masscan, zmap, nping, hping3) was executed.
# custom:
#   severity: 5
#   operations: [Process]
#   mitre: [T1046]
#   tags: [MITRE, MITRE_TA0007_discovery]
package otelarmor.rules.network_recon_tool

import data.otelarmor.lib

alerts contains {"i": i, "message": concat("", ["Network scanner run: ", lib.cmdline(e)])} if {
	some n in {"nmap", "masscan", "zmap", "nping", "hping3"}
	some i in lib.exec_by_name(n)
	e := input.events[i]
}
