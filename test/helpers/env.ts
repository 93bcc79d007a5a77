// Gating for tests that need the real kernel or external tools. Outside CI a missing capability
// skips the test with the reason; with CI=true it fails (DEVELOPERS.md: kernel tests must run in CI).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const IN_CI = process.env.CI === 'true';

function unavailable(ctx: Mocha.Context, reason: string): never {
  if (IN_CI) throw new Error(`required in CI but unavailable: ${reason}`);
  ctx.skip();
}

/** Root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) is needed to load BPF programs. */
export function requireRoot(ctx: Mocha.Context): void {
  if (process.getuid?.() !== 0) unavailable(ctx, 'not running as root');
}

/** A file built by the set-up (BPF object, addon, tester binary, Go tool). */
export function requireFile(ctx: Mocha.Context, file: string): string {
  const p = path.isAbsolute(file) ? file : path.join(ROOT, file);
  if (!existsSync(p)) unavailable(ctx, `${p} is missing (run bash scripts/setup.sh)`);
  return p;
}

/** A tool installed by scripts/go-tools.sh into .tools/bin. */
export function tool(ctx: Mocha.Context, name: string): string {
  return requireFile(ctx, path.join(ROOT, '.tools', 'bin', name));
}

/** Directories whose executions the default Rego pack flags (policies/rego/execution_from_tmp.rego). */
const TMP_EXEC_DIRS = ['/tmp/', '/var/tmp/', '/dev/shm/'];

/**
 * The alerts the default Rego pack raises on the execution of `exe` itself:
 * rego:execution_from_tmp when it lives under a temporary directory, as the test programs of a
 * checkout under /tmp do. Tests that list every alert of a tester process prepend these.
 */
export function execAlerts(exe: string): string[] {
  return TMP_EXEC_DIRS.some((d) => exe.startsWith(d)) ? ['rego:execution_from_tmp'] : [];
}
