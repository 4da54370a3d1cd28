/**
 * This machine, as `client.nfs` uses it: the platform, running a command,
 * finding a tool, being root, and the mount table. One small interface, so
 * tests swap in a fake and check every argv and error without privileges or
 * a kernel NFS client.
 */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { nfsError, platformKind } from '../nfs-command.js'
import { parseBsdMount, parseMountinfo, parseProcMounts, type MountEntry } from '../mount-table.js'

/** What a command did. */
export interface CommandOutcome {
  exitCode: number
  stdout: string
  stderr: string
}

/** The local machine as `client.nfs` sees it. */
export interface LocalSystem {
  /** A `process.platform` value. */
  readonly platform: string
  /** Runs `argv` without a shell; rejects (with the spawn error, e.g. `ENOENT`) only if it cannot start. */
  run(argv: string[]): Promise<CommandOutcome>
  /** Path of the program `name` on `PATH` or in the sbin directories. */
  findTool(name: string): Promise<string | undefined>
  /** True when running with root privileges. */
  isRoot(): boolean
  /** Every mounted filesystem, in mount order. */
  mountTable(): Promise<MountEntry[]>
}

/** Where mount tools live, often missing from a normal user's `PATH`. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin']

async function findTool(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

async function run(argv: string[]): Promise<CommandOutcome> {
  const [name = '', ...args] = argv
  const program = (await findTool(name)) ?? name
  return new Promise((resolve, reject) => {
    execFile(program, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code
      if (error && typeof code === 'string') reject(error)
      else resolve({ exitCode: typeof code === 'number' ? code : error ? 1 : 0, stdout, stderr })
    })
  })
}

/** The real machine (`platform` defaults to `process.platform`). */
export function nodeSystem(platform: string = process.platform): LocalSystem {
  return {
    platform,
    run,
    findTool,
    isRoot: () => process.getuid?.() === 0,
    async mountTable() {
      if (platformKind(platform) === 'linux') {
        try {
          return parseMountinfo(await readFile('/proc/self/mountinfo'))
        } catch {
          return parseProcMounts(await readFile('/proc/mounts'))
        }
      }
      const outcome = await run(['mount'])
      if (outcome.exitCode !== 0) {
        throw nfsError('mount-failed', `mount could not list mounts: ${outcome.stderr.trim()}`)
      }
      return parseBsdMount(outcome.stdout)
    },
  }
}
