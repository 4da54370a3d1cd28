/** Drives a real terminal for tests: a detached tmux session on its own server socket. */
import { execFile, execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

function tmuxVersion(): string | undefined {
  try {
    return execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/** `false` when tmux can be run, else why terminal tests are skipped. */
export const skipTmux: string | false = tmuxVersion()
  ? false
  : 'tmux is not installed (apt-get install -y tmux)'

/** Quotes a word for the shell that tmux runs a session's command with. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** One detached tmux session, on a server of its own so no user session is touched. */
export class TmuxSession {
  readonly #socket: string
  readonly #name: string

  constructor(name: string) {
    this.#socket = `wm-test-${process.pid}-${name}`
    this.#name = name
  }

  /** Starts the session running `command` (a shell command line) in a `cols`x`rows` window. */
  async start(command: string, cols: number, rows: number): Promise<void> {
    await this.tmux(
      'new-session',
      '-d',
      '-s',
      this.#name,
      '-x',
      `${cols}`,
      '-y',
      `${rows}`,
      command,
    )
  }

  /** Types text, then presses Enter. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', this.#name, '-l', text)
    await this.tmux('send-keys', '-t', this.#name, 'Enter')
  }

  /** What the pane shows now. */
  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-t', this.#name)).stdout
  }

  /** Waits until the pane shows something matching `pattern`; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = await this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`no ${pattern} on screen:\n${screen}`)
      await sleep(100)
    }
  }

  /** Resizes the window (the program inside gets SIGWINCH). */
  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux('resize-window', '-t', this.#name, '-x', String(cols), '-y', String(rows))
  }

  /** Stops this session's tmux server (only ours: it has its own socket). */
  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined)
  }

  tmux(...args: string[]): Promise<{ stdout: string }> {
    return run('tmux', ['-L', this.#socket, '-f', '/dev/null', ...args])
  }
}
