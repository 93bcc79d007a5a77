#!/usr/bin/env bash
# Installs the Go-built tools (opa, ocb + the test collector, helm, kubectl-validate) into
# ~/.cache/otelarmor/<tool>-<version>/ and links them into .tools/bin of this checkout.
# Idempotent: a cached version is reused; a different version is built beside it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/versions.env"
cache=${OTELARMOR_CACHE:-$HOME/.cache/otelarmor}
bin="$here/.tools/bin"
mkdir -p "$cache" "$bin"
export GOFLAGS=${GOFLAGS:--p=2} GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

gotool() { # name module version binary
  local name=$1 mod=$2 ver=$3 exe=$4 dir="$cache/$1-$3"
  if [ ! -x "$dir/bin/$exe" ]; then
    echo "go-tools: building $name $ver" >&2
    GOBIN="$dir/bin" go install "$mod@$ver"
  fi
  ln -sf "$dir/bin/$exe" "$bin/$exe"
}

want=${*:-opa ocb otelcol helm kubectl-validate}
for t in $want; do
  case $t in
    opa) gotool opa github.com/open-policy-agent/opa "$OPA_VERSION" opa ;;
    ocb) gotool ocb go.opentelemetry.io/collector/cmd/builder "$OCB_VERSION" builder ;;
    helm) gotool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" helm ;;
    kubectl-validate) gotool kubectl-validate sigs.k8s.io/kubectl-validate "$KUBECTL_VALIDATE_VERSION" kubectl-validate ;;
    otelcol)
      gotool ocb go.opentelemetry.io/collector/cmd/builder "$OCB_VERSION" builder
      key=$(cat "$here/otel/builder-config.yaml" "$here/scripts/versions.env" | sha256sum | cut -c1-12)
      dir="$cache/otelcol-$OTELCOL_VERSION-$key"
      if [ ! -x "$dir/otelcol-otelarmor" ]; then
        echo "go-tools: building the OpenTelemetry Collector $OTELCOL_VERSION (ocb)" >&2
        mkdir -p "$dir"
        sed -e "s#@OUT@#$dir/src#" -e "s#@V@#$OTELCOL_VERSION#g" -e "s#@PV@#$OTELCOL_PROVIDER_VERSION#g" \
          "$here/otel/builder-config.yaml" > "$dir/builder-config.yaml"
        "$bin/builder" --config="$dir/builder-config.yaml"
        cp "$dir/src/otelcol-otelarmor" "$dir/otelcol-otelarmor"
        rm -rf "$dir/src"
      fi
      ln -sf "$dir/otelcol-otelarmor" "$bin/otelcol-otelarmor" ;;
    *) echo "go-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
