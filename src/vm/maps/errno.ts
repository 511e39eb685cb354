/**
 * Linux errno values (include/uapi/asm-generic/errno-base.h, include/linux/errno.h). Map and helper
 * operations return them negated to programs, as the kernel's helpers do (`return -E2BIG;`).
 */
export const Errno = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EBADF: 9, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, ERANGE: 34,
  EACCES: 13, EFAULT: 14, EOPNOTSUPP: 95, ENOTSUPP: 524,
} as const;

export function errnoName(negErrno: number): string {
  for (const [k, v] of Object.entries(Errno)) if (v === -negErrno) return k;
  return `errno ${-negErrno}`;
}
