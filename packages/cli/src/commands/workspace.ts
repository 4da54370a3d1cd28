/** `wm workspace create|list|get|rm`. */
import { InvalidArgumentError, type Command } from 'commander'
import type { CliContext } from '../context.js'
import { formatWorkspaceDetails, formatWorkspaceTable } from '../output.js'

/** Parses one `--meta key=value` and adds it to the entries seen so far. */
export function parseMetaEntry(
  entry: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const separator = entry.indexOf('=')
  if (separator <= 0) throw new InvalidArgumentError('expected key=value with a non-empty key')
  return { ...previous, [entry.slice(0, separator)]: entry.slice(separator + 1) }
}

/** Adds the `workspace` command group to the program. */
export function registerWorkspaceCommands(program: Command, context: CliContext): void {
  const workspace = program
    .command('workspace')
    .alias('ws')
    .description('create, list, inspect and delete workspaces')

  workspace
    .command('create')
    .description('create a workspace and print its id')
    .option('--name <name>', 'human-readable name')
    .option('--meta <key=value...>', 'metadata entry (repeatable)', parseMetaEntry)
    .action(async (options: { name?: string; meta?: Record<string, string> }) => {
      const created = await context.client().workspace.create({
        name: options.name,
        metadata: options.meta,
      })
      context.result(created, (ws) => `${ws.id}\n`)
    })

  workspace
    .command('list')
    .alias('ls')
    .description('list workspaces, oldest first')
    .action(async () => {
      context.result(await context.client().workspace.list(), formatWorkspaceTable)
    })

  workspace
    .command('get')
    .argument('<id>', 'workspace id')
    .description('show one workspace')
    .action(async (id: string) => {
      context.result(await context.client().workspace.get(id), formatWorkspaceDetails)
    })

  workspace
    .command('rm')
    .alias('delete')
    .argument('<id>', 'workspace id')
    .description('delete a workspace and its files (fails while sandboxes use it)')
    .action(async (id: string) => {
      await context.client().workspace.delete(id)
      context.result({ id, deleted: true }, () => '')
    })
}
