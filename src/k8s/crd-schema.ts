// The three KubeArmor policy CRDs (security.kubearmor.com/v1), written from kubearmor-compat.md §4:
// the same validation patterns and enums as KubeArmor's CRDs, so a policy accepted by one API server
// is accepted by the other. helm/otelarmor/files/crds/*.yaml is rendered from these objects
// (`node dist/src/k8s/crd-schema.js --write`; test/unit/k8s/crd-schema.test.ts fails when they differ), and
// `validateAgainstSchema` applies the same checks to objects arriving from a watch.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  required?: string[];
  enum?: string[];
  pattern?: string;
  maxLength?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export const KUBEARMOR_GROUP = 'security.kubearmor.com';
export const KUBEARMOR_VERSION = 'v1';

/** §4.3 path types. */
export const MATCH_PATH_PATTERN = '^\\/+.*[^\\/]$';
export const MATCH_DIRECTORY_PATTERN = '^\\/$|^\\/.*\\/$';
export const MATCH_BIN_PATTERN = '^[^\\/]+$';
export const SYSCALL_PATH_PATTERN = `(${MATCH_PATH_PATTERN})|(${MATCH_DIRECTORY_PATTERN})`;
/** §4.4 network protocols; the unanchored head lets comma lists ("tcp,udp") through, as in KubeArmor. */
export const PROTOCOL_PATTERN =
  '(tcp|TCP|udp|UDP|raw|RAW|icmp|ICMP|icmpv6|ICMPV6|sctp|SCTP|stream|STREAM|dgram|DGRAM|rdm|RDM|seqpacket|SEQPACKET|dccp|DCCP|packet|PACKET|all|ALL)$';
/** Linux capabilities 0–33 without CAP_, lower case (§4.4: 34 names, chown … mac_admin). */
export const CAPABILITY_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin',
] as const;
export const CAPABILITY_PATTERN = `(${CAPABILITY_NAMES.join('|')})$`;
/** x86_64 syscall names 0–334 (asm/unistd_64.h, read … rseq), the enum of syscalls.*.syscall. */
export const SYSCALL_NAMES = (
  'read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask ' +
  'rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap msync mincore madvise ' +
  'shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept ' +
  'sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt ' +
  'clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl flock ' +
  'fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink symlink ' +
  'readlink chmod fchmod chown fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace getuid ' +
  'syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups ' +
  'setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending ' +
  'rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat statfs fstatfs ' +
  'sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler ' +
  'sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup ' +
  'modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct settimeofday mount umount2 ' +
  'swapon swapoff reboot sethostname setdomainname iopl ioperm create_module init_module delete_module ' +
  'get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid readahead ' +
  'setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr ' +
  'lremovexattr fremovexattr tkill time futex sched_setaffinity sched_getaffinity set_thread_area io_setup ' +
  'io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old ' +
  'epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64 timer_create ' +
  'timer_settime timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres ' +
  'clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open ' +
  'mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl ' +
  'ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat ' +
  'fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll ' +
  'unshare set_robust_list get_robust_list splice tee sync_file_range vmsplice move_pages utimensat epoll_pwait ' +
  'signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 ' +
  'epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init ' +
  'fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu ' +
  'process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom ' +
  'memfd_create kexec_file_load bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 ' +
  'pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq'
).split(' ');
export const PRESET_NAMES = ['protectEnv', 'filelessExec', 'exec', 'protectProc'] as const;

const str = (extra: Partial<OpenApiSchema> = {}): OpenApiSchema => ({ type: 'string', ...extra });
const bool = (): OpenApiSchema => ({ type: 'boolean' });
const arr = (items: OpenApiSchema, extra: Partial<OpenApiSchema> = {}): OpenApiSchema => ({ type: 'array', items, ...extra });
const obj = (properties: Record<string, OpenApiSchema>, required?: string[]): OpenApiSchema =>
  required && required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };

const ACTION = str({ enum: ['Allow', 'Audit', 'Block'] });
/** spec.action also accepts lower case, normalised to Allow|Audit|Block (§4.2). */
const SPEC_ACTION = str({ enum: ['Allow', 'Audit', 'Block', 'allow', 'audit', 'block'] });
const SEVERITY: OpenApiSchema = { type: 'integer', minimum: 1, maximum: 10 };
const META = { severity: SEVERITY, tags: arr(str()), message: str(), action: ACTION };
const PATH = str({ pattern: MATCH_PATH_PATTERN, maxLength: 200 });
const DIR = str({ pattern: MATCH_DIRECTORY_PATTERN });
const FROM_SOURCE = arr(obj({ path: PATH }));
const SYSCALL_FROM_SOURCE = arr(obj({ path: PATH, dir: DIR, recursive: bool() }));
const SYSCALL_LIST = arr(str({ enum: SYSCALL_NAMES }));

interface Variant { host: boolean }

function processSection(): OpenApiSchema {
  return obj({
    matchPaths: arr(obj({
      path: PATH, execname: str({ pattern: MATCH_BIN_PATTERN }), ownerOnly: bool(), pts: bool(),
      allowedArgs: arr(str({ maxLength: 104 }), { maxItems: 20 }), fromSource: FROM_SOURCE, ...META,
    })),
    matchDirectories: arr(obj({ dir: DIR, recursive: bool(), ownerOnly: bool(), pts: bool(), fromSource: FROM_SOURCE, ...META }, ['dir'])),
    matchPatterns: arr(obj({ pattern: str(), ownerOnly: bool(), ...META }, ['pattern'])),
    ...META,
  });
}

function fileSection(): OpenApiSchema {
  return obj({
    matchPaths: arr(obj({ path: PATH, readOnly: bool(), ownerOnly: bool(), pts: bool(), fromSource: FROM_SOURCE, ...META }, ['path'])),
    matchDirectories: arr(obj({ dir: DIR, recursive: bool(), readOnly: bool(), ownerOnly: bool(), pts: bool(), fromSource: FROM_SOURCE, ...META }, ['dir'])),
    matchPatterns: arr(obj({ pattern: str(), readOnly: bool(), ownerOnly: bool(), ...META }, ['pattern'])),
    ...META,
  });
}

function networkSection(v: Variant): OpenApiSchema {
  return obj({
    // §4.6: fromSource is required in host policies.
    matchProtocols: arr(obj({ protocol: str({ pattern: PROTOCOL_PATTERN }), pts: bool(), fromSource: FROM_SOURCE, ...META },
      v.host ? ['protocol', 'fromSource'] : ['protocol'])),
    matchDNSQueries: arr(obj({ domain: str(), fromSource: FROM_SOURCE, ...META }, ['domain'])),
    ...META,
  });
}

function capabilitiesSection(v: Variant): OpenApiSchema {
  return obj({
    matchCapabilities: arr(obj({ capability: str({ pattern: CAPABILITY_PATTERN }), fromSource: FROM_SOURCE, ...META },
      v.host ? ['capability', 'fromSource'] : ['capability'])),
    ...META,
  });
}

function syscallsSection(): OpenApiSchema {
  // Syscall rules are always Audit: no action field (§4.4).
  const meta = { severity: SEVERITY, tags: arr(str()), message: str() };
  return obj({
    matchSyscalls: arr(obj({ syscall: SYSCALL_LIST, fromSource: SYSCALL_FROM_SOURCE, ...meta })),
    matchPaths: arr(obj({ path: str({ pattern: SYSCALL_PATH_PATTERN }), recursive: bool(), syscall: SYSCALL_LIST, fromSource: SYSCALL_FROM_SOURCE, ...meta }, ['path'])),
    ...meta,
  });
}

const PRESETS = arr(obj({ name: str({ enum: [...PRESET_NAMES] }), action: ACTION }, ['name']));
const IN_NOT_IN = str({ enum: ['In', 'NotIn'] });

function specSchema(kind: PolicyKind): OpenApiSchema {
  const host = kind === 'KubeArmorHostPolicy';
  const v = { host };
  const common: Record<string, OpenApiSchema> = {
    process: processSection(), file: fileSection(), network: networkSection(v), capabilities: capabilitiesSection(v),
    syscalls: syscallsSection(), apparmor: str(), severity: SEVERITY, tags: arr(str()), message: str(), action: SPEC_ACTION,
  };
  if (kind === 'KubeArmorPolicy') {
    return obj({
      selector: obj({
        matchLabels: { type: 'object', additionalProperties: str() },
        matchExpressions: arr(obj({ key: str(), operator: IN_NOT_IN, values: arr(str()) }, ['key', 'operator'])),
      }),
      presets: PRESETS,
      ...common,
    }, ['selector']);
  }
  if (kind === 'KubeArmorClusterPolicy') {
    return obj({
      selector: obj({
        matchExpressions: arr(obj({ key: str({ enum: ['namespace', 'label'] }), operator: IN_NOT_IN, values: arr(str()) }, ['key', 'operator'])),
      }),
      presets: PRESETS,
      ...common,
    });
  }
  return obj({
    nodeSelector: obj({ matchLabels: { type: 'object', additionalProperties: str() } }, ['matchLabels']),
    device: obj({
      matchDevice: arr(obj({
        class: str(), subClass: str(), protocol: str(), level: { type: 'integer', minimum: 1 }, ...META,
      }, ['class'])),
      ...META,
    }),
    ...common,
  }, ['nodeSelector']);
}

export const POLICY_KINDS = ['KubeArmorPolicy', 'KubeArmorClusterPolicy', 'KubeArmorHostPolicy'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export interface CrdNames { kind: PolicyKind; plural: string; singular: string; listKind: string; shortName: string; namespaced: boolean }

export const CRD_NAMES: Record<PolicyKind, CrdNames> = {
  KubeArmorPolicy: { kind: 'KubeArmorPolicy', plural: 'kubearmorpolicies', singular: 'kubearmorpolicy', listKind: 'KubeArmorPolicyList', shortName: 'ksp', namespaced: true },
  KubeArmorClusterPolicy: { kind: 'KubeArmorClusterPolicy', plural: 'kubearmorclusterpolicies', singular: 'kubearmorclusterpolicy', listKind: 'KubeArmorClusterPolicyList', shortName: 'csp', namespaced: false },
  KubeArmorHostPolicy: { kind: 'KubeArmorHostPolicy', plural: 'kubearmorhostpolicies', singular: 'kubearmorhostpolicy', listKind: 'KubeArmorHostPolicyList', shortName: 'hsp', namespaced: false },
};

/** The openAPIV3Schema of one kind (apiVersion, kind, metadata, spec, status). */
export function policySchema(kind: PolicyKind): OpenApiSchema {
  return obj({
    apiVersion: str(),
    kind: str(),
    metadata: { type: 'object' },
    spec: specSchema(kind),
    status: obj({ PolicyStatus: str() }),
  }, ['spec']);
}

/** The CustomResourceDefinition object of one kind. */
export function crdObject(kind: PolicyKind): Record<string, unknown> {
  const n = CRD_NAMES[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${n.plural}.${KUBEARMOR_GROUP}`,
      annotations: { 'otelarmor.io/generated-by': 'src/k8s/crd-schema.ts' },
    },
    spec: {
      group: KUBEARMOR_GROUP,
      names: { kind: n.kind, listKind: n.listKind, plural: n.plural, singular: n.singular, shortNames: [n.shortName] },
      scope: n.namespaced ? 'Namespaced' : 'Cluster',
      versions: [{
        name: KUBEARMOR_VERSION,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: policySchema(kind) },
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Action', type: 'string', jsonPath: '.spec.action', priority: 10 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      }],
    },
  };
}

/** The YAML file content for one kind, as committed under helm/otelarmor/files/crds/. */
export function crdYaml(kind: PolicyKind): string {
  const header = `# Generated by src/k8s/crd-schema.ts (node dist/src/k8s/crd-schema.js --write); do not edit.\n` +
    `# ${kind} (${KUBEARMOR_GROUP}/${KUBEARMOR_VERSION}): validation patterns and enums as in KubeArmor's CRD.\n`;
  return header + YAML.stringify(crdObject(kind), { lineWidth: 0, aliasDuplicateObjects: false });
}

export const CRD_FILE: Record<PolicyKind, string> = {
  KubeArmorPolicy: 'kubearmorpolicies.yaml',
  KubeArmorClusterPolicy: 'kubearmorclusterpolicies.yaml',
  KubeArmorHostPolicy: 'kubearmorhostpolicies.yaml',
};

/**
 * Validates a value against a schema the way the API server's structural validation does for the
 * keywords used here (type, properties, required, enum, pattern, maxLength, maxItems, minimum,
 * maximum, additionalProperties). Returns "field.path: reason" strings; empty when valid.
 * Unknown fields are reported too (the API server prunes them; a policy relying on one is wrong).
 */
export function validateAgainstSchema(value: unknown, schema: OpenApiSchema, at = ''): string[] {
  const errs: string[] = [];
  const where = at === '' ? '<root>' : at;
  const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  switch (schema.type) {
    case 'object': {
      if (typeOf(value) !== 'object') { errs.push(`${where}: expected object, got ${typeOf(value)}`); return errs; }
      const o = value as Record<string, unknown>;
      for (const r of schema.required ?? []) if (o[r] === undefined) errs.push(`${at === '' ? '' : at + '.'}${r}: required`);
      for (const [k, v] of Object.entries(o)) {
        const sub = schema.properties?.[k] ?? schema.additionalProperties;
        const p = at === '' ? k : `${at}.${k}`;
        if (sub) errs.push(...validateAgainstSchema(v, sub, p));
        else if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields']) errs.push(`${p}: unknown field`);
      }
      return errs;
    }
    case 'array': {
      if (!Array.isArray(value)) { errs.push(`${where}: expected array, got ${typeOf(value)}`); return errs; }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${where}: more than ${schema.maxItems} items`);
      if (schema.items) value.forEach((v, i) => errs.push(...validateAgainstSchema(v, schema.items!, `${at}[${i}]`)));
      return errs;
    }
    case 'string': {
      if (typeof value !== 'string') { errs.push(`${where}: expected string, got ${typeOf(value)}`); return errs; }
      if (schema.enum && !schema.enum.includes(value)) errs.push(`${where}: ${JSON.stringify(value)} is not one of ${schema.enum.length > 12 ? 'the allowed values' : schema.enum.join('|')}`);
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) errs.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push(`${where}: longer than ${schema.maxLength} characters`);
      return errs;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) { errs.push(`${where}: expected integer, got ${JSON.stringify(value)}`); return errs; }
      if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${where}: ${value} is less than ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${where}: ${value} is greater than ${schema.maximum}`);
      return errs;
    }
    case 'boolean':
      if (typeof value !== 'boolean') errs.push(`${where}: expected boolean, got ${typeOf(value)}`);
      return errs;
    default:
      return errs;
  }
}

/** Validates a policy object of `kind` (the apiVersion/kind pair and the spec). */
export function validatePolicyObject(kind: PolicyKind, object: unknown): string[] {
  const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } } | null;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return ['<root>: expected object'];
  const errs: string[] = [];
  if (o.apiVersion !== `${KUBEARMOR_GROUP}/${KUBEARMOR_VERSION}`) errs.push(`apiVersion: expected ${KUBEARMOR_GROUP}/${KUBEARMOR_VERSION}, got ${JSON.stringify(o.apiVersion)}`);
  if (o.kind !== kind) errs.push(`kind: expected ${kind}, got ${JSON.stringify(o.kind)}`);
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') errs.push('metadata.name: required');
  const { metadata: _m, status: _s, ...rest } = o as Record<string, unknown>;
  void _m; void _s;
  return errs.concat(validateAgainstSchema(rest, { ...policySchema(kind), properties: { apiVersion: str(), kind: str(), spec: specSchema(kind) } }));
}

if (require.main === module && process.argv.includes('--write')) {
  const dir = path.resolve(__dirname, '..', '..', '..', 'helm', 'otelarmor', 'files', 'crds');
  for (const k of POLICY_KINDS) writeFileSync(path.join(dir, CRD_FILE[k]), crdYaml(k));
  process.stdout.write(`wrote ${POLICY_KINDS.length} CRDs to ${dir}\n`);
}
