/** `client.pty`: interactive terminals inside sandboxes, over WebSockets. */
import { ErrorCodes } from '@workspace-manager/protocol'
import { sdkError } from '../errors.js'
import type { PtyAttachOptions, PtyConnectOptions, PtySession, PtyToken } from '../pty-types.js'
import type { Transport } from '../transport.js'
import type { CallOptions } from '../types.js'
import { PtySessionImpl } from './pty-session.js'
import { ptyUrl, validDimension } from './pty-wire.js'
import { sandboxUrl } from './sandbox.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function invalid(message: string): never {
  throw sdkError({ code: ErrorCodes.VALIDATION.code, status: 0, message })
}

/** The query of a new terminal; checked here so a mistake is not a refused upgrade. */
function connectQuery(options: PtyConnectOptions) {
  const { cols, rows, shell, env = {} } = options
  for (const [name, value] of [
    ['cols', cols],
    ['rows', rows],
  ] as const) {
    if (value !== undefined && !validDimension(value))
      invalid(`${name} must be a whole number from 1 to 999, got ${value}`)
  }
  const names = Object.keys(env)
  const badName = names.find((name) => !ENV_NAME.test(name))
  if (badName !== undefined) invalid(`env name ${JSON.stringify(badName)} is not a valid name`)
  return { cols, rows, shell, env: names.map((name) => `${name}=${env[name]}`) }
}

/** Terminal operations. Reached as `client.pty`. */
export class PtyService {
  readonly #transport: Transport

  /** Built by {@link WorkspaceClient}; not meant to be constructed directly. */
  constructor(transport: Transport) {
    this.#transport = transport
  }

  /**
   * Starts a shell on a new PTY and resolves once the server says `ready`.
   * Output goes to `onData` (held until a handler is set); `onExit` gets the
   * shell's exit code. A missing sandbox rejects with `SandboxNotFoundError`,
   * one that is not running with code 2002. The API key travels in the
   * upgrade request's header.
   *
   * @example
   * ```ts
   * const pty = await client.pty.connect(sb.id, { cols: 120, rows: 40, onData: (d) => process.stdout.write(d) })
   * pty.write('ls -la\n')
   * pty.write('exit\n')
   * console.log('exit code', await pty.wait())
   * ```
   */
  async connect(sandboxId: string, options: PtyConnectOptions = {}): Promise<PtySession> {
    const query = connectQuery(options)
    return PtySessionImpl.open(
      this.#transport,
      sandboxId,
      { path: ptyUrl(sandboxId), query },
      undefined,
      options,
    )
  }

  /**
   * Attaches to a running PTY (taking it over from any other client),
   * replaying kept output from `after`. An unknown or ended PTY rejects with
   * `PtyNotFoundError`.
   */
  async attach(
    sandboxId: string,
    ptyId: string,
    options: PtyAttachOptions = {},
  ): Promise<PtySession> {
    const { after } = options
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0))
      invalid(`after must be a byte offset (a whole number from 0), got ${after}`)
    return PtySessionImpl.open(
      this.#transport,
      sandboxId,
      { path: ptyUrl(sandboxId, ptyId), query: { after } },
      after,
      options,
    )
  }

  /**
   * Mints a token (good for about 60 s) that opens this sandbox's PTY
   * WebSocket as `?token=`, for browsers that cannot set the API key header.
   */
  async createToken(sandboxId: string, options: CallOptions = {}): Promise<PtyToken> {
    return this.#transport.json<{ token: string; expires_at: string }>({
      method: 'POST',
      path: sandboxUrl(sandboxId, '/pty/tokens'),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })
  }
}
