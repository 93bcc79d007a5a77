// Features of the running kernel that decide which BPF code otelarmor loads. Each is found by
// looking at the kernel itself (its BTF, tracefs, a probe program loaded and attached), never by
// its version number; the versions in the comments say where each appeared upstream.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { binding, type LinkHandle, type ObjectHandle } from '../native/binding';
import { loadRetryingEagain, native } from '../native/errors';

export const BPF_OUTPUT_DIR = path.resolve(__dirname, '..', '..', '..', 'bpf', '.output');
export const PROBES_OBJECT = 'probes.bpf.o';
export const TRACEFS = '/sys/kernel/tracing';

export interface KernelFeatures {
  /** kfunc bpf_rdonly_cast in the kernel's BTF (6.2+): kernel structures reached from a number
   *  (a dentry chain, the fd table) are read by direct loads. */
  rdonlyCast: boolean;
  /** struct dentry has d_shortname (6.14+): names under 40 bytes are copied by five loads
   *  instead of a string-read helper. */
  dentryShortname: boolean;
  /** The capability/cap_capable tracepoint exists (6.13+). */
  capCapableTracepoint: boolean;
  /** null when a BPF trampoline (fexit) on cap_capable loads and attaches, else why not;
   *  probed only where the tracepoint is missing (undefined otherwise). */
  capCapableFexit?: string | null;
}

function errText(e: unknown): string {
  const err = e as Error & { code?: string };
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}

/** Loads only `program` of `file` and attaches it, then tears everything down. null on
 *  success, else the error. */
export function probeProgram(file: string, program: string): string | null {
  if (!existsSync(file)) return `${file} is missing (run make -C bpf)`;
  const b = binding();
  let h: ObjectHandle | null = null;
  let link: LinkHandle | null = null;
  try {
    const autoload: Record<string, boolean> = {};
    for (const p of native(() => {
      const o = b.objectOpen(file, { rodata: null, mapMaxEntries: null, reuseMaps: null, autoload: null });
      try { return b.programList(o); } finally { b.objectClose(o); }
    })) autoload[p.name] = p.name === program;
    h = loadRetryingEagain(() => b.objectOpen(file, { rodata: null, mapMaxEntries: null, reuseMaps: null, autoload }), (o) => b.objectLoad(o), (o) => b.objectClose(o));
    const opened = h;
    link = native(() => b.programAttach(opened, program), program);
    return null;
  } catch (e) {
    return errText(e);
  } finally {
    if (link) b.linkDestroy(link);
    if (h) b.objectClose(h);
  }
}

export function tracepointExists(category: string, name: string, tracefs = TRACEFS): boolean {
  return existsSync(path.join(tracefs, 'events', category, name));
}

let cached: KernelFeatures | null = null;

/** Probes once per process (objectDir: where probes.bpf.o is). Needs tracefs mounted. */
export function kernelFeatures(objectDir = BPF_OUTPUT_DIR): KernelFeatures {
  if (cached) return cached;
  const b = binding();
  const f: KernelFeatures = {
    rdonlyCast: native(() => b.kernelBtfHas('func', 'bpf_rdonly_cast', null)),
    dentryShortname: native(() => b.kernelBtfHas('struct', 'dentry', 'd_shortname')),
    capCapableTracepoint: tracepointExists('capability', 'cap_capable'),
  };
  if (!f.capCapableTracepoint) f.capCapableFexit = probeProgram(path.join(objectDir, PROBES_OBJECT), 'oa_probe_fexit_cap_capable');
  cached = f;
  return f;
}
