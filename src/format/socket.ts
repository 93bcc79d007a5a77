// Socket names as KubeArmor renders them (monitor/syscallParser.go): address families, socket
// types, IANA protocol keywords, and sockaddr key=value pairs.
import type { SockAddr } from '../events/record';

/** AF_* by number (include/linux/socket.h), as in KubeArmor's socketDomains table. */
const DOMAINS: readonly string[] = [
  'AF_UNSPEC',
  'AF_UNIX',
  'AF_INET',
  'AF_AX25',
  'AF_IPX',
  'AF_APPLETALK',
  'AF_NETROM',
  'AF_BRIDGE',
  'AF_ATMPVC',
  'AF_X25',
  'AF_INET6',
  'AF_ROSE',
  'AF_DECnet',
  'AF_NETBEUI',
  'AF_SECURITY',
  'AF_KEY',
  'AF_NETLINK',
  'AF_PACKET',
  'AF_ASH',
  'AF_ECONET',
  'AF_ATMSVC',
  'AF_RDS',
  'AF_SNA',
  'AF_IRDA',
  'AF_PPPOX',
  'AF_WANPIPE',
  'AF_LLC',
  'AF_IB',
  'AF_MPLS',
  'AF_CAN',
  'AF_TIPC',
  'AF_BLUETOOTH',
  'AF_IUCV',
  'AF_RXRPC',
  'AF_ISDN',
  'AF_PHONET',
  'AF_IEEE802154',
  'AF_CAIF',
  'AF_ALG',
  'AF_NFC',
  'AF_VSOCK',
  'AF_KCM',
  'AF_QIPCRTR',
  'AF_SMC',
  'AF_XDP',
];

/** IANA protocol keywords by number (KubeArmor `protocols`); 0 renders as HOPOPT. */
const PROTOCOLS: Record<number, string> = {
  0: 'HOPOPT',
  1: 'ICMP',
  2: 'IGMP',
  3: 'GGP',
  4: 'IPv4',
  5: 'ST',
  6: 'TCP',
  7: 'CBT',
  8: 'EGP',
  9: 'IGP',
  10: 'BBN-RCC-MON',
  11: 'NVP-II',
  12: 'PUP',
  14: 'EMCON',
  15: 'XNET',
  16: 'CHAOS',
  17: 'UDP',
  18: 'MUX',
  19: 'DCN-MEAS',
  20: 'HMP',
  21: 'PRM',
  22: 'XNS-IDP',
  23: 'TRUNK-1',
  24: 'TRUNK-2',
  25: 'LEAF-1',
  26: 'LEAF-2',
  27: 'RDP',
  28: 'IRTP',
  29: 'ISO-TP4',
  30: 'NETBLT',
  31: 'MFE-NSP',
  32: 'MERIT-INP',
  33: 'DCCP',
  34: '3PC',
  35: 'IDPR',
  36: 'XTP',
  37: 'DDP',
  38: 'IDPR-CMTP',
  39: 'TP++',
  40: 'IL',
  41: 'IPv6',
  42: 'SDRP',
  43: 'IPv6-Route',
  44: 'IPv6-Frag',
  45: 'IDRP',
  46: 'RSVP',
  47: 'GRE',
  48: 'DSR',
  49: 'BNA',
  50: 'ESP',
  51: 'AH',
  52: 'I-NLSP',
  54: 'NARP',
  55: 'Min-IPv4',
  56: 'TLSP',
  57: 'SKIP',
  58: 'IPv6-ICMP',
  59: 'IPv6-NoNxt',
  60: 'IPv6-Opts',
  62: 'CFTP',
  64: 'SAT-EXPAK',
  65: 'KRYPTOLAN',
  66: 'RVD',
  67: 'IPPC',
  69: 'SAT-MON',
  70: 'VISA',
  71: 'IPCV',
  72: 'CPNX',
  73: 'CPHB',
  74: 'WSN',
  75: 'PVP',
  76: 'BR-SAT-MON',
  77: 'SUN-ND',
  78: 'WB-MON',
  79: 'WB-EXPAK',
  80: 'ISO-IP',
  81: 'VMTP',
  82: 'SECURE-VMTP',
  83: 'VINES',
  84: 'IPTM',
  85: 'NSFNET-IGP',
  86: 'DGP',
  87: 'TCF',
  88: 'EIGRP',
  89: 'OSPF',
  90: 'Sprite-RPC',
  91: 'LARP',
  92: 'MTP',
  93: 'AX.25',
  94: 'IPIP',
  96: 'SCC-SP',
  97: 'ETHERIP',
  98: 'ENCAP',
  100: 'GMTP',
  101: 'IFMP',
  102: 'PNNI',
  103: 'PIM',
  104: 'ARIS',
  105: 'SCPS',
  106: 'QNX',
  107: 'A/N',
  108: 'IPComp',
  109: 'SNP',
  110: 'Compaq-Peer',
  111: 'IPX-in-IP',
  112: 'VRRP',
  113: 'PGM',
  115: 'L2TP',
  116: 'DDX',
  117: 'IATP',
  118: 'STP',
  119: 'SRP',
  120: 'UTI',
  121: 'SMP',
  123: 'PTP',
  125: 'FIRE',
  126: 'CRTP',
  127: 'CRUDP',
  128: 'SSCOPMCE',
  129: 'IPLT',
  130: 'SPS',
  131: 'PIPE',
  132: 'SCTP',
  133: 'FC',
  134: 'RSVP-E2E-IGNORE',
  136: 'UDPLite',
  137: 'MPLS-in-IP',
  138: 'manet',
  139: 'HIP',
  140: 'Shim6',
  141: 'WESP',
  142: 'ROHC',
  143: 'Ethernet',
  144: 'AGGFRAG',
  145: 'NSH',
  255: 'Reserved',
};

const SOCK_TYPES: Record<number, string> = {
  1: 'SOCK_STREAM',
  2: 'SOCK_DGRAM',
  3: 'SOCK_RAW',
  4: 'SOCK_RDM',
  5: 'SOCK_SEQPACKET',
  6: 'SOCK_DCCP',
  10: 'SOCK_PACKET',
};
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** "AF_INET"; an unknown family renders as its decimal (getSocketDomain). */
export function socketDomainName(domain: number): string {
  return DOMAINS[domain] ?? String(domain);
}

/** "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC" (GetSocketType: base type from the low 4 bits). */
export function socketTypeString(type: number): string {
  const f: string[] = [SOCK_TYPES[type & 0xf] ?? String(type)];
  if (type & SOCK_NONBLOCK) f.push('SOCK_NONBLOCK');
  if (type & SOCK_CLOEXEC) f.push('SOCK_CLOEXEC');
  return f.join('|');
}

/** Base socket type name without the flag bits ("SOCK_STREAM"). */
export function socketBaseTypeName(type: number): string {
  return SOCK_TYPES[type & 0xf] ?? String(type & 0xf);
}

/** IANA keyword ("TCP", "UDP", "IPv6-ICMP"; 0 → "HOPOPT"), decimal when unassigned. */
export function protocolName(proto: number): string {
  return PROTOCOLS[proto] ?? String(proto);
}

/**
 * sockaddr as KubeArmor's key/value pairs (readSockaddrFromBuff): sa_family always; AF_INET and
 * AF_INET6 add sin_port and sin_addr; AF_UNIX adds sun_path. KubeArmor ranges over a Go map, so
 * its order is random; this order (family, port, address) is fixed.
 */
export function sockaddrPairs(sa: SockAddr): Array<[string, string]> {
  const out: Array<[string, string]> = [['sa_family', socketDomainName(sa.family)]];
  if (sa.family === AF_INET || sa.family === AF_INET6) {
    out.push(['sin_port', String(sa.port)]);
    out.push(['sin_addr', sa.addr]);
  } else if (sa.family === AF_UNIX) {
    out.push(['sun_path', sa.unixPath]);
  }
  return out;
}

/** "sa_family=AF_INET sin_port=53 sin_addr=10.0.0.10". */
export function sockaddrString(sa: SockAddr): string {
  return sockaddrPairs(sa).map(([k, v]) => `${k}=${v}`).join(' ');
}
