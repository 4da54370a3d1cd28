/** The `wm` command tree and the run loop that turns failures into exit codes. */
import { createRequire } from 'node:module'
import { Command, CommanderError } from 'commander'
import { registerExecCommand } from './commands/exec.js'
import { registerFileCommands } from './commands/files.js'
import { registerNfsCommands, renameNfsVersionFlag } from './commands/nfs.js'
import { registerSandboxCommands } from './commands/sandbox.js'
import { registerServerCommands } from './commands/server.js'
import { registerShellCommand } from './commands/shell.js'
import { registerWorkspaceCommands } from './commands/workspace.js'
import { CliContext } from './context.js'
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes.js'
import { formatErrorJson, formatErrorLine } from './output.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

const ENVIRONMENT_HELP = `
Environment: WORKSPACE_API_URL (or WM_BASE_URL), WORKSPACE_API_KEY, WORKSPACE_API_KEY_HEADER,
WM_REQUEST_TIMEOUT, WM_FILE_TIMEOUT, WM_EXEC_TIMEOUT, WM_CREATE_TIMEOUT,
WM_MAX_FILE_TRANSFER_BYTES, WM_VERIFY_TLS, WM_ALLOW_INSECURE_TLS, WM_ALLOW_INSECURE_HTTP,
WM_NFS_HOST, WM_NFS_PORT (see the README for defaults).`

/** Builds the command tree; failures surface as thrown errors (commander's included). */
export function buildProgram(): { program: Command; context: CliContext } {
  const program = new Command('wm')
  const context = new CliContext(program)
  program
    .description(
      'Workspace Manager command line: workspaces, their files, sandboxes, commands and terminals',
    )
    .version(version)
    .option(
      '--api-url <url>',
      'API base URL (default: $WORKSPACE_API_URL or http://127.0.0.1:8080)',
    )
    .option('--api-key <key>', 'API key (default: $WORKSPACE_API_KEY)')
    .option('--json', 'machine-readable JSON on stdout (errors as JSON on stderr too)')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_CODES_HELP}`)
    .exitOverride()
  registerWorkspaceCommands(program, context)
  registerFileCommands(program, context)
  registerSandboxCommands(program, context)
  registerExecCommand(program, context)
  registerShellCommand(program, context)
  registerNfsCommands(program, context)
  registerServerCommands(program, context)
  return { program, context }
}

/** Runs `wm` with the given argv (as in `process.argv`) and resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const { program, context } = buildProgram()
  try {
    await program.parseAsync(renameNfsVersionFlag(argv))
    return context.exitCode
  } catch (error) {
    return reportFailure(error, context)
  } finally {
    context.close()
  }
}

function reportFailure(error: unknown, context: CliContext): number {
  const exitCode = exitCodeFor(error)
  if (isBrokenPipe(error)) return ExitCode.OK
  // Commander has already printed its own usage message.
  if (!(error instanceof CommanderError)) process.stderr.write(formatErrorLine(error))
  if (context.json && exitCode !== ExitCode.OK)
    process.stderr.write(formatErrorJson(error, exitCode))
  return exitCode
}

/** The reader of our stdout went away (`wm files cat ... | head`): not a failure. */
function isBrokenPipe(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EPIPE'
}
