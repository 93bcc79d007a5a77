// Shared shapes of the per-sensor handlers. A handler turns one decoded kernel record into the
// operation-specific part of a KubeArmor event; the Enricher (index.ts) adds identity, process
// and container context. Handlers never throw on well-typed records.
import * as path from 'node:path';
import type { KernelRecord } from '../events/record';
import type { EventExtras, Operation } from '../events/types';
import type { ProcessTree, ProcNode } from './proc-tree';

export interface EventDraft {
  operation: Operation;
  /** KubeArmor Resource ("" renders as absent). */
  resource: string;
  /** KubeArmor Data. */
  data: string;
  /** Syscall return value driving Result. */
  ret: number;
  /** EventExtras.syscall. */
  syscall: string;
  /** Cwd override (no trailing slash), e.g. the exec record's or the file record's own cwd. */
  cwd?: string;
  /** Exec events: Source is the parent's exec path, not the command line. */
  sourceIsParent?: boolean;
  /** Operation-specific extras (syscall/retval/ancestry/ns fields are filled by the Enricher). */
  extras?: Partial<EventExtras>;
}

export interface HandlerContext {
  tree: ProcessTree;
  /** The calling task's node (after fork/exec bookkeeping), if known. */
  node: ProcNode | undefined;
}

/**
 * A handler result: an event draft; null when the record only maintains state (fork, exit);
 * or a string naming why the record is malformed (counted as a decode drop with that reason).
 */
export type HandlerResult = EventDraft | null | string;
export type Handler<R extends KernelRecord = KernelRecord> = (rec: R, ctx: HandlerContext) => HandlerResult;

/** Absolute form of a path argument; relative ones are joined with `cwd` (no-op when cwd is unknown). */
export function absolutePath(p: string, cwd: string): string {
  if (p === '' || p.startsWith('/') || cwd === '') return p;
  return path.posix.join(cwd, p);
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
