{{- define "otelarmor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "otelarmor.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "otelarmor.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "otelarmor.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "otelarmor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otelarmor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "otelarmor.labels" -}}
{{ include "otelarmor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "otelarmor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "otelarmor.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- /* Every AgentConfig key (src/config.ts); test/e2e/helm.test.ts checks this list against defaultConfig(). */ -}}
{{- define "otelarmor.agentConfigKeys" -}}
cluster nodeName visibility hostVisibility output duration shutdownTimeout policies rules defaultFilePosture defaultNetworkPosture defaultCapabilitiesPosture hostDefaultFilePosture hostDefaultNetworkPosture hostDefaultCapabilitiesPosture alertThrottling maxAlertPerSec throttleSec enforcer otlpEndpoint otlpMetrics otlpCommandLine otlpCommandLineRedact metricsAddress grpcAddress healthGrpcAddress grpcTlsCert grpcTlsKey grpcTlsClientCa k8s kubeconfig untrackedNs ringbufBytes sensorsVariant
{{- end -}}

{{- /* Keys the chart derives from other values; setting them under .Values.config is an error. */ -}}
{{- define "otelarmor.derivedConfigKeys" -}}
nodeName k8s kubeconfig grpcAddress healthGrpcAddress metricsAddress otlpEndpoint grpcTlsCert grpcTlsKey grpcTlsClientCa
{{- end -}}

{{- /* Validates value combinations; included by every template that depends on them. */ -}}
{{- define "otelarmor.validate" -}}
{{- $known := splitList " " (include "otelarmor.agentConfigKeys" .) -}}
{{- $derived := splitList " " (include "otelarmor.derivedConfigKeys" .) -}}
{{- range $k, $_ := .Values.config -}}
{{- if not (has $k $known) -}}
{{- fail (printf "config.%s: not an otelarmor config key (see src/config.ts AgentConfig)" $k) -}}
{{- end -}}
{{- if has $k $derived -}}
{{- fail (printf "config.%s: set by the chart; use the dedicated values (grpc.*, metrics.port, otlp.endpoint, collector.sidecar, grpc.tls)" $k) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.collector.sidecar.enabled .Values.otlp.endpoint -}}
{{- fail "collector.sidecar.enabled and otlp.endpoint are mutually exclusive: with the sidecar the agent exports to it on 127.0.0.1:4317; set collector.sidecar.upstream.endpoint instead" -}}
{{- end -}}
{{- if and .Values.collector.sidecar.enabled (not .Values.collector.sidecar.upstream.endpoint) -}}
{{- fail "collector.sidecar.enabled requires collector.sidecar.upstream.endpoint (host:port of the gateway/backend)" -}}
{{- end -}}
{{- if and .Values.otlp.caSecret.name (not .Values.otlp.endpoint) -}}
{{- fail "otlp.caSecret.name is set but otlp.endpoint is empty: the CA only verifies an external OTLP endpoint" -}}
{{- end -}}
{{- if and .Values.otlp.clientCertSecret.name (not (hasPrefix "https://" .Values.otlp.endpoint)) -}}
{{- fail "otlp.clientCertSecret.name requires an https:// otlp.endpoint: the client certificate authenticates the agent to an external OTLP endpoint over TLS" -}}
{{- end -}}
{{- if and .Values.collector.sidecar.upstream.caSecret.name (not .Values.collector.sidecar.enabled) -}}
{{- fail "collector.sidecar.upstream.caSecret.name is set but collector.sidecar.enabled is false" -}}
{{- end -}}
{{- if and .Values.collector.sidecar.upstream.caSecret.name .Values.collector.sidecar.upstream.insecure -}}
{{- fail "collector.sidecar.upstream.caSecret.name and collector.sidecar.upstream.insecure=true contradict each other (insecure is plaintext)" -}}
{{- end -}}
{{- if and .Values.grpc.tls.enabled (not .Values.grpc.tls.secretName) -}}
{{- fail "grpc.tls.enabled requires grpc.tls.secretName (a Secret with the server certificate and key)" -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled (not .Values.metrics.service.enabled) -}}
{{- fail "serviceMonitor.enabled requires metrics.service.enabled" -}}
{{- end -}}
{{- if eq (int .Values.grpc.port) (int .Values.grpc.healthPort) -}}
{{- fail "grpc.port and grpc.healthPort must differ" -}}
{{- end -}}
{{- end -}}

{{- /* The agent's config.yaml: .Values.config plus the derived keys. */ -}}
{{- define "otelarmor.agentConfig" -}}
{{- $c := deepCopy .Values.config -}}
{{- $_ := set $c "k8s" "on" -}}
{{- $_ := set $c "grpcAddress" (printf "0.0.0.0:%d" (int .Values.grpc.port)) -}}
{{- $_ := set $c "healthGrpcAddress" (printf "0.0.0.0:%d" (int .Values.grpc.healthPort)) -}}
{{- $_ := set $c "metricsAddress" (printf "0.0.0.0:%d" (int .Values.metrics.port)) -}}
{{- if .Values.collector.sidecar.enabled -}}
{{- $_ := set $c "otlpEndpoint" "http://127.0.0.1:4317" -}}
{{- else if .Values.otlp.endpoint -}}
{{- $_ := set $c "otlpEndpoint" .Values.otlp.endpoint -}}
{{- end -}}
{{- if .Values.grpc.tls.enabled -}}
{{- $_ := set $c "grpcTlsCert" (printf "/etc/otelarmor/tls/%s" .Values.grpc.tls.certKey) -}}
{{- $_ := set $c "grpcTlsKey" (printf "/etc/otelarmor/tls/%s" .Values.grpc.tls.keyKey) -}}
{{- if .Values.grpc.tls.clientCaKey -}}
{{- $_ := set $c "grpcTlsClientCa" (printf "/etc/otelarmor/tls/%s" .Values.grpc.tls.clientCaKey) -}}
{{- end -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}
