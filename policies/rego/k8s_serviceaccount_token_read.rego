# METADATA
# title: Kubernetes service-account token read
# description: A process opened a projected Kubernetes service-account token (in a pod at /var/run/secrets/kubernetes.io/serviceaccount/token, on the node below /var/lib/kubelet/pods/.../kubernetes.io~projected/). Stolen tokens give API access as the pod.
# custom:
#   severity: 7
#   operations: [File]
#   mitre: [T1528, T1552.007]
#   tags: [MITRE, MITRE_TA0006_credential_access]
package otelarmor.rules.k8s_serviceaccount_token_read

import data.otelarmor.lib

token(p) if regex.match(`^(/var)?/run/secrets/kubernetes\.io/serviceaccount/(\.\.[^/]+/)?token$`, p)

token(p) if regex.match(`^/var/lib/kubelet/pods/[^/]+/volumes/kubernetes\.io~projected/[^/]+/(\.\.[^/]+/)?token$`, p)

alerts contains {"i": i, "message": concat("", ["Service-account token ", p, " read by ", lib.proc(e)])} if {
	some i in lib.by_base("token")
	e := input.events[i]
	lib.open_read_only(e)
	p := lib.path(e)
	token(p)
	not lib.proc_base(e) == "kubelet"
}
