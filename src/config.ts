// Agent configuration: one flat set of keys shared by the CLI (`--kebab-case` flags), the config
// file (`--config FILE`, YAML, camelCase keys), the Helm ConfigMap (same keys) and env
// (OTELARMOR_<UPPER_SNAKE>). Precedence: flag > env > file > defaults.

export type Posture = 'audit' | 'block';
export type Category = 'process' | 'file' | 'network' | 'capabilities' | 'syscall';

export interface AgentConfig {
  /** KubeArmor ClusterName. */
  cluster: string;
  /** Node name (HostName); defaults to os.hostname(). */
  nodeName: string;
  /** Container visibility default (KubeArmor -visibility). */
  visibility: Category[];
  /** Host visibility (KubeArmor -hostVisibility). */
  hostVisibility: Category[];
  /** Output of events on this host: stdout (readable), jsonl:PATH (karmor --json dialect), none. */
  output: string;
  /** Run for N seconds then shut down cleanly (0 = until signalled). */
  duration: number;
  /** SIGTERM/SIGINT/--duration: seconds allowed for flushing queued events and stopping; the
   *  process exits by then, counting what was not delivered. */
  shutdownTimeout: number;
  /** KubeArmor policy files/directories (repeatable). */
  policies: string[];
  /** Rego bundles (bundle.tar.gz, or a directory with policy.wasm + data.json); default pack when empty. */
  rules: string[];
  defaultFilePosture: Posture;
  defaultNetworkPosture: Posture;
  defaultCapabilitiesPosture: Posture;
  hostDefaultFilePosture: Posture;
  hostDefaultNetworkPosture: Posture;
  hostDefaultCapabilitiesPosture: Posture;
  alertThrottling: boolean;
  maxAlertPerSec: number;
  throttleSec: number;
  /** Enforcer preference: auto (BPF-LSM if it loads, else kill-on-attempt + cgroup), or audit (never block). */
  enforcer: 'auto' | 'audit';
  /** OTLP/gRPC endpoint for logs; empty = use OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT, or no export. */
  otlpEndpoint: string;
  /** Also push metrics over OTLP to the same collector. */
  otlpMetrics: boolean;
  /** Emit process.command_line (off by default: it can carry secrets), sanitised (src/otlp/redact.ts). */
  otlpCommandLine: boolean;
  /** Extra redaction patterns for process.command_line (regular expressions; with capture groups
   *  only the groups are replaced). */
  otlpCommandLineRedact: string[];
  metricsAddress: string;
  grpcAddress: string;
  healthGrpcAddress: string;
  grpcTlsCert: string;
  grpcTlsKey: string;
  grpcTlsClientCa: string;
  /** Kubernetes: watch pods/namespaces/policy CRDs (auto = when in a cluster or KUBECONFIG is set). */
  k8s: 'auto' | 'on' | 'off';
  kubeconfig: string;
  /** Namespaces that get neither visibility nor enforcement (KubeArmor -untrackedNs). */
  untrackedNs: string[];
  /** BPF ring buffer size in bytes (power of two). */
  ringbufBytes: number;
  /** Build of the sensors object (src/kernel/sensors.ts): auto (btf-cast where the kernel has
   *  the kfunc bpf_rdonly_cast, else probe-read), or one of them forced (probe-read runs the
   *  slower paths of older kernels on this one: bench/openat). */
  sensorsVariant: 'auto' | 'btf-cast' | 'probe-read';
}

export function defaultConfig(): AgentConfig {
  return {
    cluster: 'default',
    nodeName: '',
    visibility: ['process', 'file', 'network', 'capabilities'],
    hostVisibility: ['process', 'file', 'network'],
    output: 'stdout',
    duration: 0,
    shutdownTimeout: 10,
    policies: [],
    rules: [],
    defaultFilePosture: 'audit',
    defaultNetworkPosture: 'audit',
    defaultCapabilitiesPosture: 'audit',
    hostDefaultFilePosture: 'audit',
    hostDefaultNetworkPosture: 'audit',
    hostDefaultCapabilitiesPosture: 'audit',
    alertThrottling: true,
    maxAlertPerSec: 10,
    throttleSec: 30,
    enforcer: 'auto',
    otlpEndpoint: '',
    otlpMetrics: false,
    otlpCommandLine: false,
    otlpCommandLineRedact: [],
    metricsAddress: '127.0.0.1:9464',
    grpcAddress: '127.0.0.1:32767',
    healthGrpcAddress: '127.0.0.1:32766',
    grpcTlsCert: '',
    grpcTlsKey: '',
    grpcTlsClientCa: '',
    k8s: 'auto',
    kubeconfig: '',
    untrackedNs: ['kube-system', 'kubearmor'],
    ringbufBytes: 16 * 1024 * 1024,
    sensorsVariant: 'auto',
  };
}
