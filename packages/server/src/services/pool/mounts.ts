import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A mount point of /proc/self/mountinfo, unescaped (the kernel writes space as \040). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  )
}

/** Every mount point of this process's mount namespace, with its propagation fields. */
export async function mountTable(): Promise<Map<string, string[]>> {
  const table = new Map<string, string[]>()
  for (const line of (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-')
    if (separator < 6) continue
    table.set(unescape(fields[4]!), fields.slice(6, separator))
  }
  return table
}

/** `file` with symlinks resolved, as the mount table names it (as given when it is not there). */
function realPath(file: string): Promise<string> {
  return fs.realpath(file).catch(() => file)
}

async function mount(...args: string[]): Promise<void> {
  await run('mount', args)
}

/**
 * A shell started ahead of time that bind-mounts the two paths it is then
 * given: a claim pays only for writing them and for mount(8), not for
 * forking the server (tens of milliseconds on a busy host).
 */
class PrimedMount {
  readonly #child: ChildProcess
  readonly #exit: Promise<{ code: number | null; stderr: string }>

  constructor() {
    this.#child = spawn(
      'sh',
      ['-c', 'IFS= read -r src && IFS= read -r dst && exec mount --bind -- "$src" "$dst"'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    )
    let stderr = ''
    this.#child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    this.#exit = new Promise((resolve) => {
      this.#child.on('error', (error) => resolve({ code: null, stderr: error.message }))
      this.#child.on('close', (code) => resolve({ code, stderr }))
    })
    // An idle primed shell never keeps the server from exiting.
    this.#child.unref()
    for (const stream of [this.#child.stdin, this.#child.stderr]) {
      ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
    }
  }

  /** Bind-mounts `source` onto `target`; throws with mount's words when it fails. */
  async bind(source: string, target: string): Promise<void> {
    this.#child.stdin?.end(`${source}\n${target}\n`)
    const { code, stderr } = await this.#exit
    if (code !== 0) throw new Error(`mount --bind failed: ${stderr.trim() || `exit ${code}`}`)
  }

  /** Lets the shell go without mounting anything. */
  dispose(): void {
    this.#child.stdin?.end()
  }
}

/**
 * The host side of the warm pool's slots: one directory per pooled sandbox,
 * `<root>/<id>/workspace`, which its container binds at the workspace path
 * with rslave propagation. `<root>` is made a shared mount of itself, so a
 * workspace directory bind-mounted onto a slot on the host appears inside
 * that one container, and nowhere else. Slot directories are only ever
 * removed with rmdir, never recursively: an attached workspace is the user's.
 */
export class PoolMounts {
  readonly root: string
  /** One shell primed to mount for the next claim (the pool primes one after each sandbox it makes). */
  #primed: PrimedMount | undefined

  constructor(root: string) {
    this.root = root
  }

  /** Has a shell ready for the next `attach`. */
  prime(): void {
    this.#primed ??= new PrimedMount()
  }

  /** Lets the primed shell go. */
  close(): void {
    this.#primed?.dispose()
    this.#primed = undefined
  }

  /** Where the container of sandbox `id` finds its workspace on the host. */
  slot(id: string): string {
    return path.join(this.root, id, 'workspace')
  }

  /** Makes `root` a shared mount (a bind of itself) unless it already is one. */
  async prepareRoot(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 })
    const fields = (await mountTable()).get(await realPath(this.root))
    if (fields?.some((field) => field.startsWith('shared:'))) return
    if (!fields) await mount('--bind', this.root, this.root)
    await mount('--make-rshared', this.root)
  }

  /** Makes the empty slot directory of `id`. */
  async createSlot(id: string): Promise<string> {
    const slot = this.slot(id)
    await fs.mkdir(slot, { recursive: true, mode: 0o755 })
    return slot
  }

  /** Whether the slot of `id` exists (a pooled or claimed sandbox's). */
  async hasSlot(id: string): Promise<boolean> {
    return fs.stat(this.slot(id)).then(
      () => true,
      () => false,
    )
  }

  /** Bind-mounts `hostDir` (a workspace) onto the slot of `id`. */
  async attach(id: string, hostDir: string): Promise<void> {
    const slot = this.slot(id)
    const primed = this.#primed
    this.#primed = undefined
    if (primed && !`${hostDir}${slot}`.includes('\n')) {
      // Not primed again here: spawning blocks the event loop, which the pool's refill can afford.
      const bound = await primed.bind(hostDir, slot).then(
        () => true,
        () => false,
      )
      if (bound) return
    } else {
      primed?.dispose()
    }
    await mount('--bind', hostDir, slot)
  }

  /** Whether a workspace is attached to the slot of `id`. */
  async attached(id: string): Promise<boolean> {
    return (await mountTable()).has(await realPath(this.slot(id)))
  }

  /**
   * Detaches whatever is mounted on the slot of `id` and removes the slot's
   * (then empty) directories; nothing when there is no slot. A slot that
   * stays mounted or not empty is left as it is and reported.
   */
  async release(id: string): Promise<void> {
    // Most sandboxes never had a slot: one stat, and done.
    if (!(await fs.stat(path.dirname(this.slot(id))).catch(() => undefined))) return
    const slot = await realPath(this.slot(id))
    const table = await mountTable()
    for (let depth = 0; table.has(slot) && depth < 8; depth++) {
      // Lazily when busy: the container using it is gone, so nothing is cut off.
      await run('umount', [slot]).catch(() => run('umount', ['--lazy', slot]))
      table.clear()
      for (const [point, fields] of await mountTable()) table.set(point, fields)
    }
    if (table.has(slot)) throw new Error(`${slot} is still mounted`)
    for (const dir of [slot, path.dirname(slot)]) {
      await fs.rmdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
    }
  }

  /** Ids of every slot on disk. */
  async slots(): Promise<string[]> {
    return fs.readdir(this.root).catch(() => [])
  }

  /** Unmounts `root` itself once nothing is mounted beneath it (no claimed sandbox needs it). */
  async releaseRootIfUnused(): Promise<boolean> {
    const root = await realPath(this.root)
    const table = await mountTable()
    const beneath = [...table.keys()].some((point) => point.startsWith(`${root}/`))
    if (beneath || !table.has(root)) return !beneath
    await run('umount', [root])
    return true
  }
}
