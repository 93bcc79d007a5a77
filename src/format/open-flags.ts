// open(2) flag bits (include/uapi/asm-generic/fcntl.h, x86_64 values) rendered as KubeArmor does
// (monitor/syscallParser.go getOpenFlags): access mode first, then the other bits in this order,
// joined with "|".

const O_WRONLY = 0o1;
const O_RDWR = 0o2;

/** Order and values follow getOpenFlags; O_SYNC is 0o4010000 (__O_SYNC | O_DSYNC) and must match in full. */
const OTHER_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'],
  [0o20000, 'O_ASYNC'],
  [0o100000, 'O_LARGEFILE'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o2000000, 'O_CLOEXEC'],
  [0o40000, 'O_DIRECT'],
  [0o1000000, 'O_NOATIME'],
  [0o10000000, 'O_PATH'],
  [0o20000000, 'O_TMPFILE'],
];

/** Flag names in KubeArmor order, e.g. ["O_RDONLY", "O_CLOEXEC"]. */
export function openFlagNames(flags: number): string[] {
  const f = flags >>> 0;
  const out: string[] = [];
  if ((f & O_WRONLY) === O_WRONLY) out.push('O_WRONLY');
  else if ((f & O_RDWR) === O_RDWR) out.push('O_RDWR');
  else out.push('O_RDONLY');
  for (const [bit, name] of OTHER_FLAGS) if (((f & bit) >>> 0) === bit) out.push(name);
  return out;
}

/** "O_RDONLY|O_CLOEXEC". */
export function openFlagsString(flags: number): string {
  return openFlagNames(flags).join('|');
}
