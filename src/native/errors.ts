// The one place where native errors ({code, op, errno, verifierLog}) become typed errors.

export class BpfError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly op: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Open/load/attach/map failure that is not a verifier rejection or a missing feature. */
export class BpfLoadError extends BpfError {}

/** The verifier rejected a program; verifierLog holds libbpf's and the verifier's output. */
export class VerifierError extends BpfError {
  constructor(
    message: string,
    code: string,
    op: string,
    readonly verifierLog: string,
  ) {
    super(message, code, op);
  }
}

/** The running kernel lacks a hook or program type (kprobes, fentry, LSM on this machine). */
export class NotSupportedError extends BpfError {
  constructor(
    message: string,
    code: string,
    op: string,
    readonly feature: string,
  ) {
    super(message, code, op);
  }
}

const NOT_SUPPORTED = new Set(['EOPNOTSUPP', 'ENOTSUP', 'ENOSYS', 'ENODEV']);

interface NativeErrorShape {
  message?: unknown;
  code?: unknown;
  op?: unknown;
  verifierLog?: unknown;
}

/** Converts whatever the addon threw; `feature` names what was attempted (program name, ...). */
export function convertNativeError(err: unknown, feature = ''): Error {
  if (!(err instanceof Error)) return new BpfLoadError(String(err), 'EUNKNOWN', 'unknown');
  const e = err as Error & NativeErrorShape;
  if (typeof e.op !== 'string' || typeof e.code !== 'string') return err;
  if (typeof e.verifierLog === 'string' && e.op === 'bpf_object__load' && /processed \d+ insns|R\d+ |invalid/.test(e.verifierLog)) {
    return new VerifierError(e.message, e.code, e.op, e.verifierLog);
  }
  if (NOT_SUPPORTED.has(e.code) || (e.op.startsWith('bpf_program__attach') && e.code === 'ENOENT')) {
    return new NotSupportedError(e.message, e.code, e.op, feature);
  }
  return new BpfLoadError(e.message, e.code, e.op);
}

/** Runs a native call and rethrows its error converted. */
export function native<T>(fn: () => T, feature = ''): T {
  try {
    return fn();
  } catch (err) {
    throw convertNativeError(err, feature);
  }
}

/** The verifier gives up with EAGAIN when a signal is pending for the loading thread (SIGHUP,
 *  SIGTERM, SIGPROF from a profiler, ...); libbpf marks the object loaded even on failure, so
 *  a retry needs a fresh open. Opens with `open`, loads with `load`, retrying up to `tries`
 *  times on EAGAIN; closes the handle of every failed attempt. */
export function loadRetryingEagain<H>(open: () => H, load: (h: H) => void, close: (h: H) => void, tries = 5): H {
  for (let i = 1; ; i++) {
    const h = native(open);
    try {
      native(() => load(h));
      return h;
    } catch (err) {
      close(h);
      if (!(err instanceof BpfError && err.code === 'EAGAIN' && i < tries)) throw err;
    }
  }
}
