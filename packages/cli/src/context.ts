/** What every command needs: the global options, a client made on first use, and the output streams. */
import type { Command } from 'commander'
import { WorkspaceClient } from 'workspace-sdk'
import { ExitCode } from './exit-codes.js'
import { formatJson } from './output.js'

/** Options accepted before or after any command. */
export interface GlobalOptions {
  /** `--api-url`: overrides WORKSPACE_API_URL / WM_BASE_URL. */
  apiUrl?: string
  /** `--api-key`: overrides WORKSPACE_API_KEY. */
  apiKey?: string
  /** `--json`: machine-readable output. */
  json?: boolean
}

/** Shared state of one `wm` run. */
export class CliContext {
  readonly #program: Command
  #client: WorkspaceClient | undefined
  /** Exit code of a command that succeeded as far as `wm` is concerned (`wm exec` passes its command's). */
  exitCode: number = ExitCode.OK

  /** Binds the context to the root command, whose options are the global ones. */
  constructor(program: Command) {
    this.#program = program
  }

  /** The parsed global options. */
  get options(): GlobalOptions {
    return this.#program.opts<GlobalOptions>()
  }

  /** True when `--json` was given. */
  get json(): boolean {
    return this.options.json === true
  }

  /** The SDK client, created on first use from the global options and the environment. */
  client(): WorkspaceClient {
    const { apiUrl, apiKey } = this.options
    this.#client ??= new WorkspaceClient({ apiUrl, apiKey })
    return this.#client
  }

  /** Writes text to stdout. */
  print(text: string): void {
    process.stdout.write(text)
  }

  /** Prints `--json` output, or the human rendering of the same value. */
  result<T>(value: T, human: (value: T) => string): void {
    this.print(this.json ? formatJson(value) : human(value))
  }

  /** Releases the client's connections. */
  close(): void {
    this.#client?.close()
  }
}
