// Enumerations KubeArmor's CRDs validate against, with the numbers the kernel side uses.
import { NET_NUM_SOCKTYPE_BASE } from '../kernel/rule-types';

/** The 34 capability names of the CRD enum (Linux capabilities 0–33, lower case, no CAP_). */
export const CAPABILITY_NUMBERS: ReadonlyMap<string, number> = new Map(
  [
    'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
    'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
    'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
    'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
    'mac_override', 'mac_admin',
  ].map((n, i) => [n, i] as [string, number]),
);

/** Protocol names of the CRD regex (either all lower or all upper case in YAML), normalised to
 *  lower case, with the kernel `num` (rule-types.ts NET_NUM_SOCKTYPE_BASE encoding). `all` has
 *  no single number: it expands to every entry here. */
export const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['tcp', 6],
  ['udp', 17],
  ['icmp', 1],
  ['icmpv6', 58],
  ['sctp', 132],
  ['stream', NET_NUM_SOCKTYPE_BASE + 1],
  ['dgram', NET_NUM_SOCKTYPE_BASE + 2],
  ['raw', NET_NUM_SOCKTYPE_BASE + 3],
  ['rdm', NET_NUM_SOCKTYPE_BASE + 4],
  ['seqpacket', NET_NUM_SOCKTYPE_BASE + 5],
  ['dccp', NET_NUM_SOCKTYPE_BASE + 6],
  ['packet', NET_NUM_SOCKTYPE_BASE + 10],
]);

export const PROTOCOL_NAMES_UPPER = new Set([...PROTOCOL_NUMBERS.keys(), 'all'].map((p) => p.toUpperCase()));

/** Syscalls whose events KubeArmor duplicates as Operation "Syscall" for `syscalls:` rules
 *  (auditedSyscalls, monitor/syscallParser.go). */
export const AUDITED_SYSCALLS: ReadonlySet<string> = new Set([
  'rmdir', 'unlink', 'unlinkat', 'chown', 'fchownat', 'setuid', 'setgid', 'ptrace', 'mount', 'umount', 'umount2',
]);

/** IANA protocol names as rendered in KubeArmor's socket `protocol=` value → policy protocol. */
const IANA_TO_POLICY: Record<string, string> = {
  TCP: 'tcp', UDP: 'udp', ICMP: 'icmp', ICMPV6: 'icmpv6', 'IPV6-ICMP': 'icmpv6', SCTP: 'sctp',
  '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', '132': 'sctp',
};
const SOCKTYPE_TO_POLICY: Record<string, string> = {
  SOCK_STREAM: 'stream', SOCK_DGRAM: 'dgram', SOCK_RAW: 'raw', SOCK_RDM: 'rdm',
  SOCK_SEQPACKET: 'seqpacket', SOCK_DCCP: 'dccp', SOCK_PACKET: 'packet',
};

/**
 * The one policy protocol name of a network event, or undefined when the event does not say
 * (connect/bind sockaddr pairs without a socket triple). Order as KubeArmor's fetchProtocol:
 * an explicit IANA protocol first; protocol 0 (HOPOPT) on an AF_INET/AF_INET6 stream/dgram
 * socket is tcp/udp; a raw socket without a known protocol is `raw`; else the socket type.
 */
export function eventProtocol(resource: string | undefined, socket?: { domain: string; type: string; protocol: string }): string | undefined {
  if (socket || !resource) return protocolOf(resource, socket);
  // Resource strings of socket events repeat (a handful per workload): parse each once.
  let p = PROTOCOL_BY_RESOURCE.get(resource);
  if (p === undefined && !PROTOCOL_BY_RESOURCE.has(resource)) {
    p = protocolOf(resource, undefined);
    if (PROTOCOL_BY_RESOURCE.size >= PROTOCOL_CACHE_MAX) PROTOCOL_BY_RESOURCE.clear();
    PROTOCOL_BY_RESOURCE.set(resource, p);
  }
  return p;
}

const PROTOCOL_CACHE_MAX = 4096;
const PROTOCOL_BY_RESOURCE = new Map<string, string | undefined>();

function protocolOf(resource: string | undefined, socket?: { domain: string; type: string; protocol: string }): string | undefined {
  let proto: string | undefined;
  let type: string | undefined;
  let domain: string | undefined;
  if (socket) {
    proto = socket.protocol.toUpperCase();
    type = socket.type.toUpperCase();
    domain = socket.domain.toUpperCase();
  } else if (resource) {
    for (const tok of resource.split(' ')) {
      const eq = tok.indexOf('=');
      if (eq < 0) continue;
      const k = tok.slice(0, eq);
      const v = tok.slice(eq + 1);
      if (k === 'protocol') proto = v.toUpperCase();
      else if (k === 'type') type = v.toUpperCase();
      else if (k === 'domain') domain = v.toUpperCase();
    }
  }
  const baseType = type?.split('|')[0];
  if (proto !== undefined) {
    const p = IANA_TO_POLICY[proto];
    if (p) return p;
  }
  const inet = domain === undefined || domain === 'AF_INET' || domain === 'AF_INET6' || domain === '2' || domain === '10';
  if ((proto === 'HOPOPT' || proto === '0') && inet) {
    if (baseType === 'SOCK_STREAM' || baseType === '1') return 'tcp';
    if (baseType === 'SOCK_DGRAM' || baseType === '2') return 'udp';
  }
  if (baseType === undefined) return undefined;
  if (/^\d+$/.test(baseType)) {
    const n = Number(baseType);
    for (const [name, num] of PROTOCOL_NUMBERS) if (num === NET_NUM_SOCKTYPE_BASE + n) return name;
    return undefined;
  }
  return SOCKTYPE_TO_POLICY[baseType];
}
