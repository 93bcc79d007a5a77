// AT_* flag renderings (include/uapi/linux/fcntl.h) as KubeArmor prints them.

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;

/**
 * execveat flags (getExecFlags). KubeArmor tests 0x100 for AT_EMPTY_PATH and 0x1000 for
 * AT_SYMLINK_NOFOLLOW, i.e. the two constants swapped relative to the kernel; this renders the
 * kernel's meaning (0x1000 = AT_EMPTY_PATH, 0x100 = AT_SYMLINK_NOFOLLOW) in KubeArmor's order
 * (AT_EMPTY_PATH first), and "0" when neither bit is set.
 */
export function execAtFlagsString(flags: number): string {
  const f: string[] = [];
  if (flags & AT_EMPTY_PATH) f.push('AT_EMPTY_PATH');
  if (flags & AT_SYMLINK_NOFOLLOW) f.push('AT_SYMLINK_NOFOLLOW');
  return f.length === 0 ? '0' : f.join('|');
}

/** unlinkat flags (getUnlinkAtFlag): "AT_REMOVEDIR" when exactly that flag, else "". */
export function unlinkAtFlagString(flags: number): string {
  return flags === AT_REMOVEDIR ? 'AT_REMOVEDIR' : '';
}

/** Generic AT_* names for other *at calls (fchownat, fchmodat), "|"-joined, "0" when none. */
export function atFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & AT_SYMLINK_NOFOLLOW) out.push('AT_SYMLINK_NOFOLLOW');
  if (flags & AT_REMOVEDIR) out.push('AT_REMOVEDIR');
  if (flags & AT_SYMLINK_FOLLOW) out.push('AT_SYMLINK_FOLLOW');
  if (flags & AT_EMPTY_PATH) out.push('AT_EMPTY_PATH');
  return out;
}
