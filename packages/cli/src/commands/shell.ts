/** `wm shell SANDBOX`: an interactive terminal in a sandbox. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { runShell } from '../shell-session.js'
import { processShellIo } from '../terminal.js'
import { parseMetaEntry } from './workspace.js'

/** Options of `wm shell`, as commander parses them. */
export interface ShellFlags {
  shell?: string
  env?: Record<string, string>
}

/** Adds `shell` to the program. */
export function registerShellCommand(program: Command, context: CliContext): void {
  program
    .command('shell')
    .argument('<sandbox>', 'sandbox id')
    .option('--shell <path>', "shell to run (default: the sandbox's $SHELL, else /bin/bash)")
    .option('--env <key=value>', 'environment entry (repeatable)', parseMetaEntry)
    .description('open an interactive terminal in a sandbox; exits with the shell’s exit code')
    .addHelpText(
      'after',
      `
Examples:
  wm shell SB
  wm shell SB --shell /bin/sh --env DEBUG=1
  printf 'make test\\n' | wm shell SB      (stdin not a terminal: piped in, Ctrl-D at its end)

On a terminal, keys go to the remote shell as typed (Ctrl-C included) and the size follows
this window. A dropped connection is resumed where it stopped (a few attempts, noted on
stderr); the shell survives 60 s without a client.`,
    )
    .action(async (sandboxId: string, flags: ShellFlags) => {
      const request = { sandboxId, shell: flags.shell, env: flags.env }
      context.exitCode = await runShell(context.client().pty, request, processShellIo())
    })
}
