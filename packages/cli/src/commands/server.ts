/** `wm server status`: which replica answers, who leads, and whether the server is ready. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatServerStatus } from '../output.js'

/** Adds the `server` command group to the program. */
export function registerServerCommands(program: Command, context: CliContext): void {
  const server = program.command('server').description('the state of the server itself')

  server
    .command('status')
    .description(
      'show the version, the replica that answered, whether it leads, the leader, and readiness ' +
        `with each check (exit ${ExitCode.UNAVAILABLE} when not ready)`,
    )
    .action(async () => {
      const client = context.client()
      const health = await client.server.health()
      const readiness = await client.server.ready()
      context.result({ health, readiness }, formatServerStatus)
      // Scripts and probes can wait on the exit code alone, as for an unreachable server.
      if (!readiness.ready) context.exitCode = ExitCode.UNAVAILABLE
    })
}
