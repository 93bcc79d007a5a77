// Network records (bpf/network.bpf.c) → KubeArmor "Network" events (monitor/logUpdate.go):
//   socket        Resource "domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK protocol=TCP", Data "syscall=SYS_SOCKET"
//   connect/bind  Resource "sa_family=AF_INET sin_port=53 sin_addr=10.0.0.10" (AF_UNIX: "sun_path=..."), Data "syscall=SYS_CONNECT fd=3"
//   accept(4)     Resource = peer sockaddr pairs, Data "syscall=SYS_ACCEPT fd=<listening fd>"
//   listen        Resource "", Data "syscall=SYS_LISTEN fd=3"
import type { NetworkRecord } from '../events/record';
import type { EventExtras } from '../events/types';
import { protocolName, sockaddrString, socketDomainName, socketTypeString, AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC } from '../format/socket';
import { syscallName, syscallNumber } from '../format/syscalls';
import { isInt, type HandlerContext, type HandlerResult } from './common';

export function handleNetwork(rec: NetworkRecord, _ctx: HandlerContext): HandlerResult {
  if (typeof rec.syscall !== 'string' || !isInt(rec.ret)) return 'network_fields';
  const nr = syscallNumber(rec.syscall);
  if (nr === undefined) return 'network_syscall';
  const sys = `syscall=${syscallName(nr)}`;
  const extras: Partial<EventExtras> = {};
  let resource = '';
  let data: string;
  switch (rec.syscall) {
    case 'socket': {
      const s = { domain: socketDomainName(rec.domain), type: socketTypeString(rec.type), protocol: protocolName(rec.protocol) };
      resource = `domain=${s.domain} type=${s.type} protocol=${s.protocol}`;
      data = sys;
      extras.socket = s;
      break;
    }
    case 'connect':
    case 'bind':
    case 'accept':
    case 'accept4': {
      const sa = rec.sockaddr;
      if (!sa || !isInt(sa.family)) return 'network_sockaddr';
      data = `${sys} fd=${rec.fd}`;
      // accept(fd, NULL, NULL) returns no peer address (the record carries AF_UNSPEC): no Resource.
      if (sa.family === AF_UNSPEC && (rec.syscall === 'accept' || rec.syscall === 'accept4')) break;
      resource = sockaddrString(sa);
      const d: NonNullable<EventExtras['sockaddr']> = { family: socketDomainName(sa.family) };
      if (sa.family === AF_INET || sa.family === AF_INET6) {
        d.port = sa.port;
        d.addr = sa.addr;
      } else if (sa.family === AF_UNIX) {
        d.unixPath = sa.unixPath;
      }
      extras.sockaddr = d;
      break;
    }
    case 'listen':
      data = `${sys} fd=${rec.fd}`;
      break;
    default:
      return 'network_syscall';
  }
  return { operation: 'Network', resource, data, ret: rec.ret, syscall: rec.syscall, extras };
}
