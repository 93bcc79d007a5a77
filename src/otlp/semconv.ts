// OpenTelemetry semantic-convention attribute keys used on otelarmor's log records and resource.
// Stable keys are re-exported from @opentelemetry/semantic-conventions; incubating ones are copied
// here (values as of semantic-conventions 1.45.0) instead of importing '/incubating', whose names
// may change in minor releases.
export {
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_CONTAINER_NAME,
  ATTR_K8S_NODE_NAME,
  ATTR_K8S_CLUSTER_NAME,
  ATTR_CONTAINER_ID,
  ATTR_CONTAINER_IMAGE_NAME,
  ATTR_CONTAINER_IMAGE_TAGS,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_TRANSPORT,
} from '@opentelemetry/semantic-conventions';

// Incubating (copied).
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id' as const;
export const ATTR_HOST_NAME = 'host.name' as const;
export const ATTR_PROCESS_PID = 'process.pid' as const;
export const ATTR_PROCESS_PARENT_PID = 'process.parent_pid' as const;
export const ATTR_PROCESS_EXECUTABLE_PATH = 'process.executable.path' as const;
export const ATTR_PROCESS_COMMAND_LINE = 'process.command_line' as const;
export const ATTR_FILE_PATH = 'file.path' as const;
