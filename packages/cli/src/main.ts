#!/usr/bin/env node
/** Entry point of the `wm` command. */
import { ExitCode } from './exit-codes.js'
import { runCli } from './program.js'

// The reader of our output went away (`wm --help | head`): the output simply ends there, as
// a broken pipe does for other tools, rather than with an unhandled-error stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(ExitCode.OK)
})

process.exitCode = await runCli(process.argv)
