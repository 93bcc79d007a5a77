# syntax=docker/dockerfile:1
# otelarmor agent image (Helm chart helm/otelarmor). Two stages:
#   build   — Debian + Node 20 + clang/llvm/libbpf-dev/bpftool/libelf-dev/zlib1g-dev: compiles the CO-RE BPF
#             objects (make -C bpf), the N-API addon (make -C native), the TypeScript (tsc) and the default
#             Rego bundle (opa from the official static image), then prunes dev dependencies.
#   runtime — slim Debian + Node 20 + libbpf1/libelf1/zlib1g and only what the agent loads at run time.
# The agent runs as uid 0: loading BPF programs, attaching to cgroups and reading other processes'
# /proc entries need capabilities that a non-root uid cannot hold across execve without file
# capabilities on node itself. The chart still never sets privileged: it drops ALL and adds a
# short, justified list (helm/otelarmor/templates/daemonset.yaml, docs/kubernetes.md).
# Versions: Node 20 (package.json engines), OPA as scripts/versions.env OPA_VERSION.

ARG NODE_VERSION=20.20.2
ARG DEBIAN_RELEASE=bookworm
ARG OPA_VERSION=1.22.2

FROM openpolicyagent/opa:${OPA_VERSION}-static AS opa

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config build-essential make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bpf/ bpf/
COPY native/ native/
COPY src/ src/
COPY scripts/ scripts/
COPY policies/ policies/
COPY bin/ bin/
COPY --from=opa /opa /usr/local/bin/opa
# vmlinux.h is dumped from the build host's /sys/kernel/btf/vmlinux (BuildKit mounts /sys read-only);
# the objects are CO-RE, so they relocate on any BTF kernel. Without host BTF, pass a BTF file:
#   --build-arg VMLINUX_BTF=/src/vmlinux.btf (and COPY it in).
ARG VMLINUX_BTF=/sys/kernel/btf/vmlinux
# test/ and bench/ are not in the context (.dockerignore): tsconfig's globs for them match nothing.
# build:ts = tsc + the .proto files copied into dist/src/grpc (the runtime stage has no src/).
RUN make -C bpf VMLINUX_BTF=${VMLINUX_BTF} \
 && make -C native \
 && npm run build:ts
RUN OTELARMOR_OPA=/usr/local/bin/opa bash scripts/build-rego.sh \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libbpf1 libelf1 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/otelarmor
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/bin/ bin/
COPY --from=build /src/native/build/otelarmor.node native/build/otelarmor.node
COPY --from=build /src/bpf/.output/ bpf/.output/
COPY --from=build /src/policies/ policies/
ENV NODE_ENV=production
# uid 0 by design (see the header); the chart drops every capability but the documented ones.
USER 0:0
EXPOSE 32767 32766 9464
ENTRYPOINT ["node", "--single-threaded-gc", "/opt/otelarmor/dist/src/cli.js"]
CMD ["run", "--config", "/etc/otelarmor/config.yaml"]
