import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Op, RecordFlag, type CapabilityRecord, type ExecRecord, type FileRecord, type ForkRecord, type ExitRecord,
  type NetworkRecord, type RecordHeader, type SyscallRecord, type TaskStateRecord,
} from '../../../src/events/record';
import type { PodMeta, PodMetadataSource } from '../../../src/k8s/types';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { Enricher } from '../../../src/sensors/index';
import { addProc, HOST_MNT_NS, HOST_PID_NS, makeProcRoot } from './fake-proc';

const CID = '3f1c2b7a9d8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
const C_PIDNS = 4026532900;
const C_MNTNS = 4026532901;
/** Boot ns 5 s → 2026-07-24T13:33:20.123456Z. */
const WALL0 = 1_784_900_000_123_456_789n;
const toWall = (boot: bigint): bigint => boot - 5_000_000_000n + WALL0;

function hdr(op: Op, o: Partial<RecordHeader> = {}): RecordHeader {
  return {
    op, flags: 0, ktimeNs: 5_000_000_000n, tgid: 300, tid: 300, ppid: 200, nsTgid: 300, nsPpid: 200,
    uid: 1000, gid: 1000, pidNs: HOST_PID_NS, mntNs: HOST_MNT_NS, cgroupId: 4242n, comm: 'cat', ruleId: 0, ...o,
  };
}

/** A fake PodMetadataSource (the Kubernetes API server is not available in unit tests). */
class FakePods implements PodMetadataSource {
  m = new Map<string, PodMeta>();
  lookup(id: string): PodMeta | undefined {
    return this.m.get(id);
  }
  namespaceAnnotations(): Record<string, string> | undefined {
    return undefined;
  }
}

describe('Enricher', () => {
  let root: string;
  let metrics: AgentMetrics;
  let now: number;
  const mk = (pods?: PodMetadataSource): Enricher => {
    const e = new Enricher({
      clusterName: 'default', hostName: 'node-a', nodeId: 'f00dfeed', metrics, pods, procRoot: root,
      passwdPath: path.join(root, 'passwd'), hostPidNs: HOST_PID_NS, bootToWallNs: toWall, now: () => now,
    });
    e.seedFromProc();
    return e;
  };

  beforeEach(() => {
    now = 1_000_000;
    metrics = new AgentMetrics();
    root = makeProcRoot();
    fs.writeFileSync(path.join(root, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    addProc(root, { pid: 1, ppid: 0, comm: 'systemd', exe: '/usr/lib/systemd/systemd', args: ['/sbin/init'], cwd: '/' });
    addProc(root, { pid: 200, ppid: 1, comm: 'bash', exe: '/usr/bin/bash', args: ['bash'], cwd: '/home/alice', ttyNr: (136 << 8) | 0 });
    addProc(root, { pid: 300, ppid: 200, comm: 'cat', exe: '/usr/bin/cat', args: ['cat', '/etc/hosts'], cwd: '/home/alice', ttyNr: (136 << 8) | 0 });
    addProc(root, { pid: 900, ppid: 1, comm: 'containerd-shim', exe: '/usr/bin/containerd-shim-runc-v2', args: ['/usr/bin/containerd-shim-runc-v2'], cwd: '/' });
    addProc(root, {
      pid: 901, ppid: 900, comm: 'nginx', exe: '/usr/sbin/nginx', args: ['nginx', '-g', 'daemon off;'], cwd: '/', nspid: [901, 1],
      pidNs: C_PIDNS, mntNs: C_MNTNS, cgroup: `0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-${CID}.scope\n`,
    });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('openat: every KubeArmor field of a host File event, and the extras', () => {
    const e = mk();
    const rec: FileRecord = {
      ...hdr(Op.File), op: Op.File, syscall: 'openat', ret: 3, dirfd: -100, flags: 0o2000000, mode: 0, ownerUid: -1, ownerGid: -1,
      path: '/etc/hosts', cwd: '', fileOwnerUid: 0,
    };
    const [ev, ...rest] = e.enrich([rec]);
    assert.equal(rest.length, 0);
    assert.deepEqual(ev!.ka, {
      Timestamp: 1784900000,
      UpdatedTime: '2026-07-24T13:33:20.123456Z',
      ClusterName: 'default',
      HostName: 'node-a',
      HostPPID: 200,
      HostPID: 300,
      PPID: 0,
      PID: 300,
      UID: 1000,
      Type: 'HostLog',
      Operation: 'File',
      Result: 'Passed',
      ParentProcessName: '/usr/bin/bash',
      ProcessName: '/usr/bin/cat',
      Source: '/usr/bin/cat /etc/hosts',
      Resource: '/etc/hosts',
      Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC',
      EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY|O_CLOEXEC' },
      Cwd: '/home/alice/',
      TTY: 'pts0',
      ExecEvent: { ExecID: '0', ExecutableName: 'cat' },
      NodeID: 'f00dfeed',
      UserName: 'alice',
    });
    assert.equal(ev!.timeNs, WALL0);
    assert.deepEqual(ev!.extras, {
      syscall: 'openat', retval: 3, path: '/etc/hosts', openFlags: 0o2000000, openFlagNames: ['O_RDONLY', 'O_CLOEXEC'],
      fileOwnerUid: 0, ancestry: ['/usr/bin/bash', '/usr/lib/systemd/systemd'], pidNs: HOST_PID_NS, mntNs: HOST_MNT_NS, cgroupId: '4242',
    });
  });

  it('file: relative path joined with the record cwd; EACCES → Permission denied; write flags', () => {
    const e = mk();
    const rec: FileRecord = {
      ...hdr(Op.File), op: Op.File, syscall: 'openat', ret: -13, dirfd: -100, flags: 0o1 | 0o100 | 0o1000, mode: 0o644,
      ownerUid: -1, ownerGid: -1, path: 'notes/secret.txt', cwd: '/srv/data', fileOwnerUid: -1,
    };
    const [ev] = e.enrich([rec]);
    assert.equal(ev!.ka.Resource, '/srv/data/notes/secret.txt');
    assert.equal(ev!.ka.Data, 'syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT|O_TRUNC');
    assert.equal(ev!.ka.Result, 'Permission denied');
    assert.equal(ev!.ka.Cwd, '/srv/data/');
    assert.equal(ev!.extras.mode, 0o644);
    assert.equal(ev!.extras.path, '/srv/data/notes/secret.txt');
  });

  it('file: open, unlink, unlinkat, rmdir, chown, fchownat, chmod Data strings', () => {
    const e = mk();
    const base = { ...hdr(Op.File), op: Op.File as const, ret: 0, dirfd: -100, flags: 0, mode: 0, ownerUid: -1, ownerGid: -1, cwd: '', fileOwnerUid: -1 };
    const evs = e.enrich([
      { ...base, syscall: 'open', path: '/tmp/a', flags: 0o2 },
      { ...base, syscall: 'unlink', path: '/tmp/a', dirfd: 0 },
      { ...base, syscall: 'unlinkat', path: '/tmp/d', flags: 0x200 },
      { ...base, syscall: 'unlinkat', path: '/tmp/f', flags: 0 },
      { ...base, syscall: 'rmdir', path: '/tmp/d', dirfd: 0 },
      { ...base, syscall: 'chown', path: '/tmp/f', ownerUid: 0, ownerGid: -1, dirfd: 0 },
      // fchownat(AT_FDCWD, "/tmp/f", 1000, 1000, AT_SYMLINK_NOFOLLOW): bpf/file.bpf.c stores arg 5 in `flags`.
      { ...base, syscall: 'fchownat', path: '/tmp/f', ownerUid: 1000, ownerGid: 1000, flags: 0x100 },
      { ...base, syscall: 'fchmodat', path: '/tmp/f', mode: 0o755 },
      { ...base, syscall: 'chmod', path: '/tmp/f', mode: 0o600, ret: -1 },
    ]);
    assert.deepEqual(evs.map((x) => [x.ka.Operation, x.ka.Resource, x.ka.Data, x.ka.Result]), [
      ['File', '/tmp/a', 'syscall=SYS_OPEN flags=O_RDWR', 'Passed'],
      ['File', '/tmp/a', 'syscall=SYS_UNLINK', 'Passed'],
      ['File', '/tmp/d', 'syscall=SYS_UNLINKAT flags=AT_REMOVEDIR', 'Passed'],
      ['File', '/tmp/f', 'syscall=SYS_UNLINKAT flags=', 'Passed'],
      ['File', '/tmp/d', 'syscall=SYS_RMDIR', 'Passed'],
      ['File', '/tmp/f', 'syscall=SYS_CHOWN userid=0 group=-1', 'Passed'],
      ['File', '/tmp/f', 'syscall=SYS_FCHOWNAT userid=1000 group=1000 mode=256', 'Passed'],
      ['File', '/tmp/f', 'syscall=SYS_FCHMODAT fd=-100 mode=493', 'Passed'],
      ['File', '/tmp/f', 'syscall=SYS_CHMOD mode=384', 'Operation not permitted'],
    ]);
  });

  it('exec: ProcessName is the new image, Source the parent, Resource path + args; tree updated', () => {
    const e = mk();
    const fork: ForkRecord = { ...hdr(Op.ProcessFork, { tgid: 200, ppid: 1, nsTgid: 200, nsPpid: 1, comm: 'bash' }), op: Op.ProcessFork, childTgid: 400, childNsTgid: 400 };
    const exec: ExecRecord = {
      ...hdr(Op.ProcessExec, { tgid: 400, nsTgid: 400, comm: 'curl', uid: 0 }), op: Op.ProcessExec, syscall: 'execve', ret: 0,
      path: '/usr/bin/curl', args: ['curl', '-s', 'http://10.0.0.1/'], cwd: '/home/alice', tty: 'pts0', fd: 0, atFlags: 0,
    };
    const evs = e.enrich([fork, exec]);
    assert.equal(evs.length, 1);
    const ka = evs[0]!.ka;
    assert.equal(ka.Operation, 'Process');
    assert.equal(ka.ProcessName, '/usr/bin/curl');
    assert.equal(ka.ParentProcessName, '/usr/bin/bash');
    assert.equal(ka.Source, '/usr/bin/bash');
    assert.equal(ka.Resource, '/usr/bin/curl -s http://10.0.0.1/');
    assert.equal(ka.Data, 'syscall=SYS_EXECVE');
    assert.deepEqual(ka.EventData, { Syscall: 'SYS_EXECVE' });
    assert.equal(ka.Result, 'Passed');
    assert.equal(ka.HostPID, 400);
    assert.equal(ka.HostPPID, 200);
    assert.equal(ka.PPID, 0);
    assert.equal(ka.Cwd, '/home/alice/');
    assert.equal(ka.TTY, 'pts0');
    assert.deepEqual(ka.ExecEvent, { ExecID: '0', ExecutableName: 'curl' });
    assert.equal(ka.UserName, 'root');
    assert.deepEqual(evs[0]!.extras.args, ['curl', '-s', 'http://10.0.0.1/']);
    assert.deepEqual(evs[0]!.extras.ancestry, ['/usr/bin/bash', '/usr/lib/systemd/systemd']);
    // A later event of the process carries its new command line as Source.
    const conn: NetworkRecord = {
      ...hdr(Op.Network, { tgid: 400, nsTgid: 400, comm: 'curl', uid: 0 }), op: Op.Network, syscall: 'connect', ret: -115,
      domain: 0, type: 0, protocol: 0, fd: 5, backlog: 0, sockaddr: { family: 2, port: 80, addr: '10.0.0.1', unixPath: '' },
    };
    const [n] = e.enrich([conn]);
    assert.equal(n!.ka.Source, '/usr/bin/curl -s http://10.0.0.1/');
    assert.equal(n!.ka.Resource, 'sa_family=AF_INET sin_port=80 sin_addr=10.0.0.1');
    assert.equal(n!.ka.Data, 'syscall=SYS_CONNECT fd=5');
    assert.equal(n!.ka.Result, 'Operation now in progress');
    assert.deepEqual(n!.ka.EventData, { Syscall: 'SYS_CONNECT', Fd: '5', Sa_family: 'AF_INET', Sin_port: '80', Sin_addr: '10.0.0.1' });
    assert.deepEqual(n!.extras.sockaddr, { family: 'AF_INET', port: 80, addr: '10.0.0.1' });
  });

  it('exec failure: the old image stays; relative path resolved; execveat Data', () => {
    const e = mk();
    const exec: ExecRecord = {
      ...hdr(Op.ProcessExec), op: Op.ProcessExec, syscall: 'execveat', ret: -13, path: 'bin/tool', args: ['tool', '-x'],
      cwd: '/opt', tty: 'pts0', fd: -100, atFlags: 0x1000,
    };
    const [ev] = e.enrich([exec]);
    assert.equal(ev!.ka.ProcessName, '/usr/bin/cat');
    assert.equal(ev!.ka.Resource, '/opt/bin/tool -x');
    assert.equal(ev!.ka.Data, 'syscall=SYS_EXECVEAT fd=-100 flag=AT_EMPTY_PATH');
    assert.equal(ev!.ka.Result, 'Permission denied');
    assert.equal(e.tree.peek(300)!.exe, '/usr/bin/cat');
  });

  it('network: socket, bind (AF_UNIX), listen, accept4 (AF_INET6)', () => {
    const e = mk();
    const b = { ...hdr(Op.Network), op: Op.Network as const, ret: 0, domain: 0, type: 0, protocol: 0, fd: 3, backlog: 0, sockaddr: { family: 0, port: 0, addr: '', unixPath: '' } };
    const evs = e.enrich([
      { ...b, syscall: 'socket', ret: 3, domain: 2, type: 1 | 0o4000 | 0o2000000, protocol: 6 },
      { ...b, syscall: 'socket', ret: 4, domain: 10, type: 2, protocol: 0 },
      { ...b, syscall: 'bind', sockaddr: { family: 1, port: 0, addr: '', unixPath: '/run/app.sock' } },
      { ...b, syscall: 'listen', backlog: 128 },
      { ...b, syscall: 'accept4', ret: 7, sockaddr: { family: 10, port: 51000, addr: '::1', unixPath: '' } },
      { ...b, syscall: 'accept', ret: 8 },
    ]);
    assert.deepEqual(evs.map((x) => [x.ka.Resource, x.ka.Data]), [
      ['domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC protocol=TCP', 'syscall=SYS_SOCKET'],
      ['domain=AF_INET6 type=SOCK_DGRAM protocol=HOPOPT', 'syscall=SYS_SOCKET'],
      ['sa_family=AF_UNIX sun_path=/run/app.sock', 'syscall=SYS_BIND fd=3'],
      [undefined, 'syscall=SYS_LISTEN fd=3'],
      ['sa_family=AF_INET6 sin_port=51000 sin_addr=::1', 'syscall=SYS_ACCEPT4 fd=3'],
      [undefined, 'syscall=SYS_ACCEPT fd=3'],
    ]);
    assert.deepEqual(evs[0]!.ka.EventData, { Syscall: 'SYS_SOCKET', Domain: 'AF_INET', Type: 'SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC', Protocol: 'TCP' });
    assert.deepEqual(evs[0]!.extras.socket, { domain: 'AF_INET', type: 'SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC', protocol: 'TCP' });
    assert.deepEqual(evs[2]!.extras.sockaddr, { family: 'AF_UNIX', unixPath: '/run/app.sock' });
  });

  it('capabilities: Resource CAP_*, Data lsm=CAPABLE CAP_*, denied → Operation not permitted', () => {
    const e = mk();
    const rec: CapabilityRecord = { ...hdr(Op.Capability), op: Op.Capability, cap: 13, ret: -1, capOpt: 0 };
    const [ev] = e.enrich([rec]);
    assert.equal(ev!.ka.Operation, 'Capabilities');
    assert.equal(ev!.ka.Resource, 'CAP_NET_RAW');
    assert.equal(ev!.ka.Data, 'lsm=CAPABLE CAP_NET_RAW');
    assert.deepEqual(ev!.ka.EventData, { Lsm: 'CAPABLE' });
    assert.equal(ev!.ka.Result, 'Operation not permitted');
    assert.equal(ev!.extras.capability, 'net_raw');
    assert.equal(ev!.extras.syscall, 'cap_capable');
  });

  it('syscalls: setuid, setgid, mount, umount2, ptrace, other', () => {
    const e = mk();
    const b = { ...hdr(Op.Syscall), op: Op.Syscall as const, ret: 0, args: [0n, 0n, 0n, 0n, 0n, 0n] as SyscallRecord['args'], strs: ['', '', ''] as SyscallRecord['strs'] };
    const evs = e.enrich([
      { ...b, nr: 105, args: [0n, 0n, 0n, 0n, 0n, 0n], ret: -1 },
      { ...b, nr: 106, args: [1000n, 0n, 0n, 0n, 0n, 0n] },
      { ...b, nr: 165, args: [0n, 0n, 0n, 4096n, 0n, 0n], strs: ['/dev/sdb1', '/mnt/x', 'ext4'] },
      { ...b, nr: 166, args: [0n, 2n, 0n, 0n, 0n, 0n], strs: ['/mnt/x', '', ''] },
      { ...b, nr: 101, args: [16n, 200n, 0n, 0n, 0n, 0n], ret: -1 },
      { ...b, nr: 272, args: [0x20000n, 0n, 0n, 0n, 0n, 0n] },
    ]);
    assert.deepEqual(evs.map((x) => [x.ka.Operation, x.ka.Resource, x.ka.Data, x.ka.Result]), [
      ['Syscall', undefined, 'syscall=SYS_SETUID userid=0', 'Operation not permitted'],
      ['Syscall', undefined, 'syscall=SYS_SETGID userid=1000', 'Passed'],
      ['Syscall', undefined, 'syscall=SYS_MOUNT source=/dev/sdb1 target=/mnt/x filesystem=ext4 mountflag=4096 data=', 'Passed'],
      ['Syscall', undefined, 'syscall=SYS_UMOUNT target=/mnt/x flag=2', 'Passed'],
      ['Process', '/usr/bin/bash', 'syscall=SYS_PTRACE request=PTRACE_ATTACH pid=200 process=/usr/bin/bash', 'Operation not permitted'],
      ['Syscall', undefined, 'syscall=SYS_UNSHARE', 'Passed'],
    ]);
    assert.equal(evs[0]!.extras.syscall, 'setuid');
    assert.deepEqual(evs[3]!.ka.EventData, { Syscall: 'SYS_UMOUNT', Target: '/mnt/x', Flag: '2' });
    assert.equal(evs[3]!.extras.syscall, 'umount2');
  });

  it('task state: chdir moves Cwd of later events; setns starts an ExecID that children inherit at fork; no events', () => {
    const e = mk();
    const st = (o: Partial<TaskStateRecord>): TaskStateRecord => ({ ...hdr(Op.TaskState), op: Op.TaskState, nr: 80, cwd: '', pidNsForChildren: 0, ...o });
    const cap: CapabilityRecord = { ...hdr(Op.Capability), op: Op.Capability, cap: 12, ret: 0, capOpt: 0 };
    assert.deepEqual(e.enrich([st({ cwd: '/var/tmp' })]), []);
    const [c1] = e.enrich([cap]);
    assert.equal(c1!.ka.Cwd, '/var/tmp/');
    assert.deepEqual(c1!.ka.ExecEvent, { ExecID: '0', ExecutableName: 'cat' });
    // setns at boot time 0x1234_0000 ns by tgid 300 (0x12c): ExecID = ktime | pid, in decimal.
    assert.deepEqual(e.enrich([st({ nr: 308, ktimeNs: 0x12340000n, pidNsForChildren: C_PIDNS })]), []);
    const fork: ForkRecord = { ...hdr(Op.ProcessFork), op: Op.ProcessFork, childTgid: 301, childNsTgid: 301 };
    const child: CapabilityRecord = { ...cap, ...hdr(Op.Capability, { tgid: 301, nsTgid: 301, ppid: 300, nsPpid: 300 }), op: Op.Capability, cap: 12, ret: 0, capOpt: 0 };
    const [c2, c3] = e.enrich([cap, fork, child]);
    assert.deepEqual(c2!.ka.ExecEvent, { ExecID: String(0x12340000 | 300), ExecutableName: 'cat' });
    assert.deepEqual(c3!.ka.ExecEvent, { ExecID: String(0x12340000 | 300), ExecutableName: 'cat' });
    assert.equal(c3!.ka.Cwd, '/var/tmp/', 'the child inherits the cwd too');
    assert.equal(String(0x12340000 | 300), '305398060');
  });

  it('container events: ContainerID, namespaced PIDs, pod metadata from the source', () => {
    const pods = new FakePods();
    pods.m.set(CID, {
      namespace: 'default', podName: 'web-7d9c-abcde', labels: { app: 'web', tier: 'front' }, containerName: 'web',
      image: 'docker.io/library/nginx:1.27@sha256:abc', owner: { Ref: 'Deployment', Name: 'web', Namespace: 'default' }, annotations: {},
    });
    const e = mk(pods);
    const rec: FileRecord = {
      ...hdr(Op.File, { tgid: 901, ppid: 900, nsTgid: 1, nsPpid: 0, uid: 0, pidNs: C_PIDNS, mntNs: C_MNTNS, comm: 'nginx' }), op: Op.File,
      syscall: 'openat', ret: -2, dirfd: -100, flags: 0, mode: 0, ownerUid: -1, ownerGid: -1, path: '/etc/nginx/nginx.conf', cwd: '', fileOwnerUid: -1,
    };
    const [ev] = e.enrich([rec]);
    const ka = ev!.ka;
    assert.equal(ka.Type, 'ContainerLog');
    assert.equal(ka.ContainerID, CID);
    assert.equal(ka.NamespaceName, 'default');
    assert.equal(ka.PodName, 'web-7d9c-abcde');
    assert.equal(ka.Labels, 'app=web,tier=front');
    assert.equal(ka.ContainerName, 'web');
    assert.equal(ka.ContainerImage, 'docker.io/library/nginx:1.27@sha256:abc');
    assert.deepEqual(ka.Owner, { Ref: 'Deployment', Name: 'web', Namespace: 'default' });
    assert.equal(ka.HostPID, 901);
    assert.equal(ka.PID, 1);
    assert.equal(ka.HostPPID, 900);
    assert.equal(ka.PPID, 0);
    assert.equal(ka.ProcessName, '/usr/sbin/nginx');
    assert.equal(ka.ParentProcessName, '/usr/bin/containerd-shim-runc-v2');
    assert.equal(ka.Source, '/usr/sbin/nginx -g daemon off;');
    assert.equal(ka.Result, 'No such file or directory');
    assert.equal(ka.UserName, undefined, 'UserName only for host events');
  });

  it('unknown pod metadata: held, replayed when it appears, else emitted without pod fields after the hold', () => {
    const pods = new FakePods();
    const e = mk(pods);
    const rec: CapabilityRecord = {
      ...hdr(Op.Capability, { tgid: 901, ppid: 900, nsTgid: 1, nsPpid: 0, uid: 0, pidNs: C_PIDNS, mntNs: C_MNTNS, comm: 'nginx' }),
      op: Op.Capability, cap: 10, ret: 0, capOpt: 0,
    };
    assert.deepEqual(e.enrich([rec]), []);
    assert.equal(e.heldCount, 1);
    now += 200;
    pods.m.set(CID, { namespace: 'shop', podName: 'cart-0', labels: {}, containerName: 'cart', image: '', annotations: {} });
    const [ev] = e.enrich([]);
    assert.equal(ev!.ka.PodName, 'cart-0');
    assert.equal(ev!.ka.NamespaceName, 'shop');
    assert.equal(ev!.ka.Labels, undefined);
    assert.equal(e.heldCount, 0);
    pods.m.clear();
    assert.deepEqual(e.enrich([rec]), []);
    now += 999;
    assert.deepEqual(e.enrich([]), []);
    now += 1;
    const [late] = e.enrich([]);
    assert.equal(late!.ka.ContainerID, CID);
    assert.equal(late!.ka.PodName, undefined);
    assert.equal(e.stats.podMetaUnresolved, 1);
  });

  it('fork/exit maintain state without events; malformed records are counted drops, never thrown', () => {
    const e = mk();
    const exit: ExitRecord = { ...hdr(Op.ProcessExit), op: Op.ProcessExit, exitCode: 0 };
    assert.deepEqual(e.enrich([exit]), []);
    assert.notEqual(e.tree.peek(300)!.exitedAtMs, 0);
    const bad = [
      { ...hdr(Op.File), op: Op.File, syscall: 'openat', ret: 0 } as unknown as FileRecord, // path missing
      { ...hdr(99 as Op) } as unknown as FileRecord,
      { ...hdr(Op.File), tgid: 'x' } as unknown as FileRecord,
      null as unknown as FileRecord,
      { ...hdr(Op.File), op: Op.File, syscall: 'link', ret: 0, path: '/x', dirfd: 0, flags: 0, mode: 0, cwd: '' } as unknown as FileRecord, // no file syscall
    ];
    assert.deepEqual(e.enrich(bad), []);
    assert.deepEqual(Object.fromEntries(metrics.dropCounts), {
      'decode/file_fields': 1, 'decode/unknown_op': 1, 'decode/header_fields': 1, 'decode/bad_record': 1, 'decode/file_syscall': 1,
    });
  });

  it('kernel rule id and kill flag reach the extras; process tree gauge follows', () => {
    const e = mk();
    const net: NetworkRecord = {
      ...hdr(Op.Network, { flags: RecordFlag.Matched | RecordFlag.Killed, ruleId: 17 }), op: Op.Network, syscall: 'socket', ret: -13,
      domain: 17, type: 3, protocol: 768, fd: 0, backlog: 0, sockaddr: { family: 0, port: 0, addr: '', unixPath: '' },
    };
    // File records: the open flags occupy `flags` (O_RDWR = 2 must not read as "killed").
    const file: FileRecord = {
      ...hdr(Op.File, { ruleId: 0 }), op: Op.File, syscall: 'openat', ret: 3, dirfd: -100,
      flags: 0o2, mode: 0, ownerUid: -1, ownerGid: -1, path: '/etc/shadow', cwd: '', fileOwnerUid: 0,
    };
    const fileMatched: FileRecord = { ...file, ruleId: 9, ret: -13 };
    const [n, f, fm] = e.enrich([net, file, fileMatched]);
    assert.equal(n!.ka.Resource, 'domain=AF_PACKET type=SOCK_RAW protocol=768');
    assert.equal(n!.extras.kernelRuleId, 17);
    assert.equal(n!.extras.killed, true);
    assert.equal(f!.extras.kernelRuleId, undefined);
    assert.equal(f!.extras.killed, undefined);
    assert.equal(fm!.extras.kernelRuleId, 9);
    assert.equal(metrics.gauges.processTreeSize, e.processCount);
    assert.equal(e.processCount, 5);
  });
});
