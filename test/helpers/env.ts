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
