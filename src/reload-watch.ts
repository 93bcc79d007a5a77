// Change notification for the reload paths (--policies, --rules). fs.watch on a file follows its
// inode, so an atomic replace (write to a temp file + rename, or Kubernetes' ConfigMap swap of
// the `..data` symlink) would end the watch silently. Instead: a directory is watched
// recursively; a file is watched through its parent directory, filtered to its own name and to
// `..`-prefixed ConfigMap entries.
import { watch, statSync, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

export interface ReloadWatch {
  close(): void;
}

/** Calls `onChange` (debounced by `debounceMs`) after any change under `paths`. */
export function watchForReload(paths: readonly string[], onChange: () => void, warn: (line: string) => void, debounceMs = 300): ReloadWatch {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  for (const p of new Set(paths)) {
    let isDir = false;
    try { isDir = statSync(p).isDirectory(); } catch { /* watched through its parent below */ }
    const dir = isDir ? p : path.dirname(p);
    const base = path.basename(p);
    try {
      const w = watch(dir, { persistent: false, recursive: isDir }, (_event, name) => {
        const n = name === null ? null : String(name);
        if (isDir || n === null || n === base || n.startsWith('..')) fire();
      });
      w.on('error', (e) => warn(`watch ${p}: ${e.message}; reload with SIGHUP`));
      watchers.push(w);
    } catch (e) {
      warn(`cannot watch ${p}: ${(e as Error).message}; reload with SIGHUP`);
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
