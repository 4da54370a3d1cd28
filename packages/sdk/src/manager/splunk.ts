/**
 * `SplunkWorkspace`: a workspace whose sandbox runs Splunk (application kind
 * `splunk`), and searches through it. The credentials come from
 * `SPLUNK_USERNAME` / `SPLUNK_PASSWORD` (or the options), are checked before
 * anything is created, and are given to the sandbox it creates in its
 * environment: the Splunk inside is set up with them and the server's search,
 * run inside the sandbox, authenticates with them. They are never kept on the
 * object, shown by `toJSON` or put in an error; handles show
 * `SPLUNK_PASSWORD` as `<redacted>`.
 */
import { clientError } from '../errors.js'
import type { ClientEnvironment } from '../config.js'
import { transportOf, WorkspaceManagerClient } from './client.js'
import type { WorkspaceHandle } from './handle.js'
import { splunkSearch } from './routes.js'
import type {
  CreateWorkspaceOptions,
  DeleteWorkspaceOptions,
  SplunkSearchOptions,
} from './types.js'

/** The application kind of Splunk sandboxes. */
export const SPLUNK_KIND = 'splunk'

/** Where the Splunk credentials come from. */
export interface SplunkCredentialOptions {
  /** Default env `SPLUNK_USERNAME`. */
  username?: string
  /** Default env `SPLUNK_PASSWORD`. */
  password?: string
  /** Environment to read them from; default `process.env`. */
  environment?: ClientEnvironment
}

/** Options of `SplunkWorkspace.create`. */
export type SplunkWorkspaceOptions = SplunkCredentialOptions &
  Omit<CreateWorkspaceOptions, 'applicationKind' | 'metadata'>

/** `{SPLUNK_USERNAME, SPLUNK_PASSWORD}`: option, else environment; an error names whatever is missing. */
export function splunkCredentials(options: SplunkCredentialOptions = {}): Record<string, string> {
  const env = options.environment ?? process.env
  const given: Record<string, string | undefined> = {
    SPLUNK_USERNAME: options.username ?? env.SPLUNK_USERNAME,
    SPLUNK_PASSWORD: options.password ?? env.SPLUNK_PASSWORD,
  }
  const missing = Object.keys(given).filter((name) => !given[name]?.trim())
  if (missing.length) {
    throw clientError(
      'config',
      `SplunkWorkspace needs Splunk credentials: set ${missing.join(' and ')} in the environment (or pass username / password)`,
      { details: { missing } },
    )
  }
  return given as Record<string, string>
}

/** A workspace of application kind `splunk`; `search(query)` resolves to Splunk's result objects. */
export class SplunkWorkspace {
  /** The workspace and its Splunk sandbox. */
  readonly handle: WorkspaceHandle
  readonly #client: WorkspaceManagerClient

  private constructor(client: WorkspaceManagerClient, handle: WorkspaceHandle) {
    this.#client = client
    this.handle = handle
  }

  /** Creates a workspace with a Splunk sandbox (client default: one from the environment). */
  static async create(
    client: WorkspaceManagerClient = new WorkspaceManagerClient(),
    options: SplunkWorkspaceOptions = {},
  ): Promise<SplunkWorkspace> {
    const { username, password, environment, ...create } = options
    const credentials = splunkCredentials({ username, password, environment })
    const handle = await client.createWorkspace({
      ...create,
      applicationKind: SPLUNK_KIND,
      env: { ...create.env, ...credentials },
    })
    return new SplunkWorkspace(client, handle)
  }

  /** Wraps a handle of `client` whose sandbox is of kind `splunk`. */
  static from(
    client: WorkspaceManagerClient,
    handle: WorkspaceHandle,
    options: SplunkCredentialOptions = {},
  ): SplunkWorkspace {
    splunkCredentials(options)
    if (handle.sandboxId === null || handle.applicationKind !== SPLUNK_KIND) {
      throw new TypeError(
        `workspace ${handle.id} has no sandbox of application kind '${SPLUNK_KIND}' (its primary sandbox is of kind ${JSON.stringify(handle.applicationKind)})`,
      )
    }
    return new SplunkWorkspace(client, handle)
  }

  get id(): string {
    return this.handle.id
  }

  get sandboxId(): string | null {
    return this.handle.sandboxId
  }

  /**
   * Runs `query` (SPL; `search` is prepended unless it starts with it or `|`)
   * inside the sandbox against its Splunk; resolves to the `result` object of
   * every line Splunk's export streamed.
   */
  async search(
    query: string,
    options: SplunkSearchOptions = {},
  ): Promise<Record<string, unknown>[]> {
    const sandboxId = this.handle.requireSandbox('run a Splunk search')
    return splunkSearch(transportOf(this.#client), sandboxId, query, options)
  }

  /** Deletes the workspace and its sandbox. */
  async delete(options: DeleteWorkspaceOptions = {}): Promise<void> {
    await this.handle.delete(options)
  }

  /** `await using` deletes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete()
  }

  /** What `JSON.stringify` shows: ids only. */
  toJSON(): { id: string; sandboxId: string | null } {
    return { id: this.id, sandboxId: this.sandboxId }
  }
}
