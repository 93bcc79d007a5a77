import { strict as assert } from 'node:assert';
import { execAtFlagsString, unlinkAtFlagString, atFlagNames } from '../../../src/format/at-flags';
import { capabilityName, capabilityNumber, capabilityPolicyName } from '../../../src/format/capabilities';
import { resultText, strerror } from '../../../src/format/errno';
import { deriveEventData } from '../../../src/format/event-data';
import { openFlagNames, openFlagsString } from '../../../src/format/open-flags';
import { ptraceRequestName } from '../../../src/format/ptrace';
import { protocolName, sockaddrString, socketDomainName, socketTypeString } from '../../../src/format/socket';
import { syscallName, syscallNumber, syscallBaseName } from '../../../src/format/syscalls';
import { unixSeconds, updatedTime } from '../../../src/format/time';

describe('format', () => {
  it('errno → KubeArmor Result text', () => {
    assert.equal(resultText(0), 'Passed');
    assert.equal(resultText(3), 'Passed');
    assert.equal(resultText(-1), 'Operation not permitted');
    assert.equal(resultText(-2), 'No such file or directory');
    assert.equal(resultText(-13), 'Permission denied');
    assert.equal(resultText(-111), 'Connection refused');
    assert.equal(resultText(-133), 'Memory page has hardware error');
    assert.equal(resultText(-41), 'Unknown (-41)');
    assert.equal(resultText(-512), 'Unknown (-512)');
    assert.equal(strerror(58), undefined);
  });

  it('open flags in KubeArmor order', () => {
    assert.equal(openFlagsString(0), 'O_RDONLY');
    assert.equal(openFlagsString(0o2000000), 'O_RDONLY|O_CLOEXEC');
    assert.equal(openFlagsString(0o1 | 0o100 | 0o1000), 'O_WRONLY|O_CREAT|O_TRUNC');
    assert.equal(openFlagsString(0o2 | 0o2000 | 0o4000), 'O_RDWR|O_APPEND|O_NONBLOCK');
    // O_DSYNC alone (0o10000) is not O_SYNC; full O_SYNC is 0o4010000.
    assert.equal(openFlagsString(0o10000), 'O_RDONLY');
    assert.equal(openFlagsString(0o4010000 | 0o1), 'O_WRONLY|O_SYNC');
    assert.equal(openFlagsString(0o200000 | 0o400000 | 0o2000000 | 0o100000), 'O_RDONLY|O_LARGEFILE|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC');
    assert.equal(openFlagsString(0o10000000), 'O_RDONLY|O_PATH');
    // O_TMPFILE = __O_TMPFILE | O_DIRECTORY
    assert.equal(openFlagsString(0o20200000 | 0o2), 'O_RDWR|O_DIRECTORY|O_TMPFILE');
    assert.deepEqual(openFlagNames(0o1 | 0o200 | 0o100), ['O_WRONLY', 'O_CREAT', 'O_EXCL']);
  });

  it('AT_* flags', () => {
    assert.equal(unlinkAtFlagString(0x200), 'AT_REMOVEDIR');
    assert.equal(unlinkAtFlagString(0), '');
    assert.equal(execAtFlagsString(0), '0');
    assert.equal(execAtFlagsString(0x1000), 'AT_EMPTY_PATH');
    assert.equal(execAtFlagsString(0x100), 'AT_SYMLINK_NOFOLLOW');
    assert.equal(execAtFlagsString(0x1100), 'AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW');
    assert.deepEqual(atFlagNames(0x100 | 0x1000), ['AT_SYMLINK_NOFOLLOW', 'AT_EMPTY_PATH']);
  });

  it('socket domain, type and protocol names', () => {
    assert.equal(socketDomainName(2), 'AF_INET');
    assert.equal(socketDomainName(10), 'AF_INET6');
    assert.equal(socketDomainName(1), 'AF_UNIX');
    assert.equal(socketDomainName(16), 'AF_NETLINK');
    assert.equal(socketDomainName(12), 'AF_DECnet');
    assert.equal(socketDomainName(44), 'AF_XDP');
    assert.equal(socketDomainName(45), '45');
    assert.equal(socketTypeString(1), 'SOCK_STREAM');
    assert.equal(socketTypeString(1 | 0o4000), 'SOCK_STREAM|SOCK_NONBLOCK');
    assert.equal(socketTypeString(2 | 0o4000 | 0o2000000), 'SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC');
    assert.equal(socketTypeString(3), 'SOCK_RAW');
    assert.equal(socketTypeString(10), 'SOCK_PACKET');
    assert.equal(socketTypeString(7), '7');
    assert.equal(protocolName(0), 'HOPOPT');
    assert.equal(protocolName(6), 'TCP');
    assert.equal(protocolName(17), 'UDP');
    assert.equal(protocolName(1), 'ICMP');
    assert.equal(protocolName(58), 'IPv6-ICMP');
    assert.equal(protocolName(132), 'SCTP');
    assert.equal(protocolName(262), '262');
  });

  it('sockaddr pairs', () => {
    assert.equal(sockaddrString({ family: 2, port: 53, addr: '10.0.0.10', unixPath: '' }), 'sa_family=AF_INET sin_port=53 sin_addr=10.0.0.10');
    assert.equal(sockaddrString({ family: 10, port: 443, addr: '2001:db8::1', unixPath: '' }), 'sa_family=AF_INET6 sin_port=443 sin_addr=2001:db8::1');
    assert.equal(sockaddrString({ family: 1, port: 0, addr: '', unixPath: '/run/systemd/journal/socket' }), 'sa_family=AF_UNIX sun_path=/run/systemd/journal/socket');
    assert.equal(sockaddrString({ family: 16, port: 0, addr: '', unixPath: '' }), 'sa_family=AF_NETLINK');
  });

  it('capability names', () => {
    assert.equal(capabilityName(13), 'CAP_NET_RAW');
    assert.equal(capabilityName(21), 'CAP_SYS_ADMIN');
    assert.equal(capabilityName(0), 'CAP_CHOWN');
    assert.equal(capabilityName(37), 'CAP_AUDIT_READ');
    assert.equal(capabilityName(38), 'CAP_PERFMON');
    assert.equal(capabilityName(39), 'CAP_BPF');
    assert.equal(capabilityName(40), 'CAP_CHECKPOINT_RESTORE');
    assert.equal(capabilityName(41), '41');
    assert.equal(capabilityPolicyName(13), 'net_raw');
    assert.equal(capabilityNumber('net_raw'), 13);
    assert.equal(capabilityNumber('CAP_SYS_ADMIN'), 21);
    assert.equal(capabilityNumber('nope'), undefined);
  });

  it('x86_64 syscall names', () => {
    assert.equal(syscallName(0), 'SYS_READ');
    assert.equal(syscallName(2), 'SYS_OPEN');
    assert.equal(syscallName(41), 'SYS_SOCKET');
    assert.equal(syscallName(59), 'SYS_EXECVE');
    assert.equal(syscallName(101), 'SYS_PTRACE');
    assert.equal(syscallName(105), 'SYS_SETUID');
    assert.equal(syscallName(165), 'SYS_MOUNT');
    assert.equal(syscallName(166), 'SYS_UMOUNT2');
    assert.equal(syscallName(257), 'SYS_OPENAT');
    assert.equal(syscallName(288), 'SYS_ACCEPT4');
    assert.equal(syscallName(322), 'SYS_EXECVEAT');
    assert.equal(syscallName(437), 'SYS_OPENAT2');
    assert.equal(syscallName(452), 'SYS_FCHMODAT2');
    assert.equal(syscallName(335), '335');
    assert.equal(syscallNumber('openat'), 257);
    assert.equal(syscallNumber('SYS_UNLINKAT'), 263);
    assert.equal(syscallNumber('nope'), undefined);
    assert.equal(syscallBaseName(84), 'rmdir');
  });

  it('ptrace requests', () => {
    assert.equal(ptraceRequestName(16), 'PTRACE_ATTACH');
    assert.equal(ptraceRequestName(0), 'PTRACE_TRACEME');
    assert.equal(ptraceRequestName(0x4206), 'PTRACE_SEIZE');
    assert.equal(ptraceRequestName(0x4299), String(0x4299));
  });

  it('EventData derivation (feeder parseDataString)', () => {
    assert.deepEqual(deriveEventData('File', 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY', '/etc/passwd'), {
      Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY',
    });
    assert.deepEqual(deriveEventData('Network', 'syscall=SYS_CONNECT fd=3', 'sa_family=AF_INET sin_port=53 sin_addr=10.0.0.10'), {
      Syscall: 'SYS_CONNECT', Fd: '3', Sa_family: 'AF_INET', Sin_port: '53', Sin_addr: '10.0.0.10',
    });
    assert.deepEqual(deriveEventData('Capabilities', 'lsm=CAPABLE CAP_NET_RAW', 'CAP_NET_RAW'), { Lsm: 'CAPABLE' });
    assert.deepEqual(deriveEventData('File', 'syscall=SYS_UNLINKAT flags=', '/tmp/x'), { Syscall: 'SYS_UNLINKAT', Flags: '' });
    assert.deepEqual(deriveEventData('Syscall', 'syscall=SYS_MOUNT source=a=b target=/mnt', ''), { Syscall: 'SYS_MOUNT', Source: 'a=b', Target: '/mnt' });
    assert.equal(deriveEventData('Network', '', ''), undefined);
    assert.deepEqual(deriveEventData('Network', '', 'remoteip=10.0.0.1 port=80 protocol=TCP'), { Remoteip: '10.0.0.1', Port: '80', Protocol: 'TCP' });
  });

  it('Timestamp and UpdatedTime', () => {
    const ns = 1_784_900_000_123_456_789n;
    assert.equal(unixSeconds(ns), 1784900000);
    assert.equal(updatedTime(ns), '2026-07-24T13:33:20.123456Z');
    assert.equal(updatedTime(1_784_900_000_000_001_000n), '2026-07-24T13:33:20.000001Z');
  });
});
