/** `wm exec SANDBOX [options] -- cmd args...`. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { execStreaming, exitStatus, processIo, type ExecRequest } from '../exec-session.js'
import { UsageError } from '../exit-codes.js'
import { parseSeconds } from '../option-values.js'
import { parseMetaEntry } from './workspace.js'

/** Options of `wm exec`, as commander parses them. */
export interface ExecFlags {
  env?: Record<string, string>
  cwd?: string
  timeout?: number
  raw?: boolean
}

/** The request for `wm exec` operands and flags. */
export function execRequest(sandboxId: string, command: string[], flags: ExecFlags): ExecRequest {
  const [cmd, ...args] = command
  if (cmd === undefined || cmd === '') throw new UsageError('no command given after the sandbox id')
  return {
    sandboxId,
    cmd,
    args,
    env: flags.env,
    cwd: flags.cwd,
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    // Where our stdout is a file or a pipe its bytes matter (binary data) and so does speed.
    raw: flags.raw ?? !process.stdout.isTTY,
  }
}

const STDIN_LIMIT = 16 * 1024 * 1024

/** Reads all of a piped stdin as text (for `--json`, where the command is run to completion). */
async function readStdinText(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > STDIN_LIMIT) {
      throw new UsageError('stdin is over 16 MiB: run without --json to stream it to the command')
    }
    chunks.push(chunk as Buffer)
  }
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8')
}

/** Adds `exec` to the program. */
export function registerExecCommand(program: Command, context: CliContext): void {
  program
    .command('exec')
    .argument('<sandbox>', 'sandbox id')
    .argument('<command...>', 'command and arguments (after --, so their options are not ours)')
    .option('--env <key=value>', 'environment entry (repeatable)', parseMetaEntry)
    .option('--cwd <dir>', 'working directory (default: the workspace, /workspace)')
    .option('--timeout <seconds>', 'kill the command after this long (exit 124)', parseSeconds)
    .option(
      '--raw',
      'stdout as raw bytes, exactly as written (default when our stdout is not a terminal); stderr apart',
    )
    .option('--no-raw', 'stdout as UTF-8 text events, as on a terminal')
    .description(
      'run a command in a sandbox: output streamed, piped stdin forwarded, its exit code returned',
    )
    .addHelpText(
      'after',
      `
Examples:
  wm exec SB -- ls -la
  echo hi | wm exec SB -- cat
  wm exec SB --env DEBUG=1 --cwd /tmp --timeout 30 -- sh -c 'make test'
  wm exec SB -- tar -C /workspace -czf - . > workspace.tgz   (binary stdout, byte for byte)
  wm --json exec SB -- uname -a     (waits, then prints pid, exitCode, stdout, stderr, truncated)

Exits with the command's code; 124 past --timeout, 126 not executable, 127 not found,
130 after Ctrl-C (which sends SIGINT to the remote process group).`,
    )
    .action(async (sandboxId: string, command: string[], flags: ExecFlags) => {
      const request = execRequest(sandboxId, command, flags)
      const client = context.client()
      if (!context.json) {
        context.exitCode = await execStreaming(client, request, processIo())
        return
      }
      const { sandboxId: id, cmd, args, env, cwd, timeoutMs } = request
      const stdin = await readStdinText()
      const result = await client.process.run(id, cmd, { args, env, cwd, timeoutMs, stdin })
      context.result(result, () => '')
      context.exitCode = exitStatus(result.exitCode)
    })
}
