/**
 * Reading the mount table. Linux publishes it in `/proc/self/mountinfo`
 * (`/proc/mounts` as a fallback), with spaces, tabs, newlines and backslashes
 * in paths written as octal escapes (`\040`); the escapes are undone on the
 * bytes, which are then decoded as UTF-8. macOS has no such
 * file: `mount` prints `source on /mount/point (type, option, ...)` unescaped.
 */

/** One mounted filesystem. */
export interface MountEntry {
  mountPoint: string
  fstype: string
  source: string
}

const NFS_TYPES = new Set(['nfs', 'nfs4'])
const BSD_LINE = /^(.+?) on (.+) \(([^,()]+)(?:, [^()]*)?\)$/

/** True for `nfs` and `nfs4` (Linux names NFSv4 mounts `nfs4`). */
export function isNfs(entry: MountEntry): boolean {
  return NFS_TYPES.has(entry.fstype)
}

/** Undoes the kernel's octal escapes (`\040` is a space) and decodes the bytes as UTF-8. */
export function unescapeField(field: Buffer): string {
  const bytes: number[] = []
  for (let i = 0; i < field.length; i++) {
    const octal = field.subarray(i + 1, i + 4).toString('latin1')
    if (field[i] === 0x5c && /^[0-7]{3}$/.test(octal)) {
      bytes.push(parseInt(octal, 8) & 0xff)
      i += 3
    } else {
      bytes.push(field[i] as number)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function lines(data: Buffer): Buffer[] {
  const result: Buffer[] = []
  let start = 0
  for (let end = data.indexOf(0x0a); end >= 0; end = data.indexOf(0x0a, start)) {
    result.push(data.subarray(start, end))
    start = end + 1
  }
  if (start < data.length) result.push(data.subarray(start))
  return result
}

function fields(line: Buffer, separator = 0x20): Buffer[] {
  const result: Buffer[] = []
  let start = 0
  for (let end = line.indexOf(separator); end >= 0; end = line.indexOf(separator, start)) {
    result.push(line.subarray(start, end))
    start = end + 1
  }
  result.push(line.subarray(start))
  return result
}

/**
 * Entries of `/proc/self/mountinfo`, in order (a later entry is mounted on
 * top): `id parent major:minor root MOUNT_POINT options [optional...] - TYPE
 * SOURCE super-options`. Lines without that shape are skipped.
 */
export function parseMountinfo(data: Buffer): MountEntry[] {
  const entries: MountEntry[] = []
  for (const line of lines(data)) {
    const parts = fields(line)
    const separator = parts.findIndex((part, index) => index >= 6 && part.toString() === '-')
    const [point, fstype, source] = [parts[4], parts[separator + 1], parts[separator + 2]]
    if (separator < 0 || !point || !fstype || !source) continue
    entries.push({
      mountPoint: unescapeField(point),
      fstype: unescapeField(fstype),
      source: unescapeField(source),
    })
  }
  return entries
}

/** Entries of `/proc/mounts` (`SOURCE MOUNT_POINT TYPE options 0 0`). */
export function parseProcMounts(data: Buffer): MountEntry[] {
  const entries: MountEntry[] = []
  for (const line of lines(data)) {
    const [source, point, fstype] = fields(line).filter((part) => part.length > 0)
    if (!source || !point || !fstype) continue
    entries.push({
      mountPoint: unescapeField(point),
      fstype: unescapeField(fstype),
      source: unescapeField(source),
    })
  }
  return entries
}

/** Entries of macOS `mount` output: `host:/path on /Users/me/ws (nfs, nodev, ...)`. */
export function parseBsdMount(text: string): MountEntry[] {
  const entries: MountEntry[] = []
  for (const line of text.split('\n')) {
    const match = BSD_LINE.exec(line.replace(/\r$/, ''))
    if (match) {
      const [, source = '', mountPoint = '', fstype = ''] = match
      entries.push({ mountPoint, fstype: fstype.trim(), source })
    }
  }
  return entries
}

/** The filesystem mounted last (so the visible one) on exactly `path`, if any. */
export function findMount(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  return entries.findLast((entry) => entry.mountPoint === path)
}
