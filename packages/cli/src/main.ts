#!/usr/bin/env node
/** Entry point of the `wm` command. */
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv)
