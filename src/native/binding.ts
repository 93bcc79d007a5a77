// The whole surface of native/build/otelarmor.node (native/src/addon.cc registers the exports in
// this order). Thin and mechanical: callers validate and default in TypeScript. Every function
// throws a native Error carrying {code (errno name), op (libbpf call), errno[, verifierLog]};
// src/native/errors.ts converts those into typed errors.
import * as path from 'node:path';

export interface ObjectHandle {
  readonly type: 'object';
}
export interface LinkHandle {
  readonly type: 'link';
}
export interface RingbufHandle {
  readonly type: 'ringbuf';
}

export interface ObjectOpenOptions {
  /** .rodata variables by name; each Buffer must have the variable's exact size. */
  rodata: Record<string, Buffer> | null;
  /** max_entries overrides by map name (ring buffer size in bytes for RINGBUF maps). */
  mapMaxEntries: Record<string, number> | null;
  /** Maps to share with an already loaded object (same name in both). */
  reuseMaps: { name: string; from: ObjectHandle }[] | null;
  /** Programs to load (true) or leave out of the load (false) by name; others load. A program
   *  left out is neither verified nor attachable (an alternative hook of the running kernel). */
  autoload: Record<string, boolean> | null;
}

export interface ProgramInfo {
  name: string;
  /** ELF section, e.g. "tp/syscalls/sys_enter_openat". */
  section: string;
  /** libbpf program type name, e.g. "tracepoint". */
  type: string;
  /** false: left out of the load (ObjectOpenOptions.autoload). */
  autoload: boolean;
}

export interface RingbufStats {
  /** Records handed to JS (both rings). */
  delivered: number;
  /** Of those, from the priority ring. */
  deliveredPrio: number;
  batches: number;
  /** Records drained but dropped because the JS hand-off failed (closing). */
  lostHandoff: number;
  /** Rounds in which the main ring was left unread because JS was behind (backpressure). */
  stalls: number;
  /** Bytes handed to the JS thread and not yet acknowledged. */
  queuedBytes: number;
  /** Bytes written by the kernel and not yet consumed, and ring size: main ring. */
  availBytes: number;
  sizeBytes: number;
  /** The same for the priority ring (0 when there is none). */
  prioAvailBytes: number;
  prioSizeBytes: number;
  /** Highest ringbufFlush number whose round has handed over the main ring (see ringbufFlush). */
  flushedSeq: number;
}

export interface ClockOffsets {
  /** CLOCK_BOOTTIME and CLOCK_REALTIME sampled at the same instant (ns). */
  boottimeNs: bigint;
  realtimeNs: bigint;
  /** Width of the REALTIME bracket around the BOOTTIME sample (ns). */
  uncertaintyNs: number;
}

export interface NativeBinding {
  objectOpen(file: string, opts: ObjectOpenOptions): ObjectHandle;
  /** On failure the error has verifierLog (libbpf warnings + verifier output). */
  objectLoad(h: ObjectHandle): void;
  programList(h: ObjectHandle): ProgramInfo[];
  /** Attach type comes from the section (tp/, raw_tp/, ...). */
  programAttach(h: ObjectHandle, name: string): LinkHandle;
  programAttachCgroup(h: ObjectHandle, name: string, cgroupPath: string): LinkHandle;
  /** Idempotent. */
  linkDestroy(link: LinkHandle): void;
  /** Destroys every link in parallel, off the JS thread (a tracepoint detach waits for an RCU
   *  grace period); resolves once all are detached. */
  linksDestroy(links: LinkHandle[]): Promise<void>;
  mapUpdate(h: ObjectHandle, map: string, key: Buffer, value: Buffer, flags: number): void;
  mapLookup(h: ObjectHandle, map: string, key: Buffer): Buffer | null;
  /** false when the key was absent. */
  mapDelete(h: ObjectHandle, map: string, key: Buffer): boolean;
  /** One value per possible CPU; [] when the key is absent. */
  mapLookupPercpu(h: ObjectHandle, map: string, key: Buffer): Buffer[];
  /** One native thread drains `mainMap` and, unless it is "", `prioMap`; onBatch gets raw
   *  concatenated records on the JS thread, priority-ring batches first within a round. */
  ringbufStart(h: ObjectHandle, mainMap: string, prioMap: string, onBatch: (batch: Buffer, priority: boolean) => void): RingbufHandle;
  ringbufStats(rb: RingbufHandle): RingbufStats;
  /** JS finished processing a batch of `bytes` bytes: it stops counting against the drain's
   *  backpressure bound. Harmless after ringbufStop. */
  ringbufAck(rb: RingbufHandle, bytes: number): void;
  /** Wakes the drain thread for a round and returns its number n (0 after ringbufStop). Once
   *  stats().flushedSeq >= n, every record committed before this call has been handed to JS
   *  (queuedBytes then says whether JS has acknowledged it). */
  ringbufFlush(rb: RingbufHandle): number;
  /** Wakes and joins the drain thread. Idempotent. */
  ringbufStop(rb: RingbufHandle): void;
  /** Idempotent; destroy links first. */
  objectClose(h: ObjectHandle): void;
  libbpfVersion(): string;
  clockOffsets(): ClockOffsets;
  /** The running kernel's BTF has a `kind` type named `name` (and, for a struct, a member named
   *  `member` when not null). Throws when the kernel has no BTF. */
  kernelBtfHas(kind: 'func' | 'struct', name: string, member: string | null): boolean;
}

/** BPF_ANY / BPF_NOEXIST / BPF_EXIST for mapUpdate. */
export const MapUpdateFlag = { Any: 0, NoExist: 1, Exist: 2 } as const;

export const ADDON_PATH = path.resolve(__dirname, '..', '..', '..', 'native', 'build', 'otelarmor.node');

let cached: NativeBinding | null = null;

/** Loads the addon once; throws a plain Error naming the path when it is not built. */
export function binding(): NativeBinding {
  if (cached === null) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(ADDON_PATH) as NativeBinding;
  }
  return cached;
}
