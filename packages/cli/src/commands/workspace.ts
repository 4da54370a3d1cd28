/** `wm workspace create|list|get|quota|rm`. */
import { InvalidArgumentError, type Command } from 'commander'
import type { CliContext } from '../context.js'
import { formatWorkspaceDetails, formatWorkspaceTable } from '../output.js'
import { parseQuota } from '../option-values.js'

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
    .option(
      '--quota <size>',
      "disk quota: bytes or a size such as 20MiB, or none (default: the server's)",
      parseQuota,
    )
    .action(
      async (options: { name?: string; meta?: Record<string, string>; quota?: number | null }) => {
        const created = await context.client().workspace.create({
          name: options.name,
          metadata: options.meta,
          quotaBytes: options.quota,
        })
        context.result(created, (ws) => `${ws.id}\n`)
      },
    )

  workspace
    .command('quota')
    .argument('<id>', 'workspace id')
    .argument('<size>', 'new quota: bytes or a size such as 20MiB, or none to lift it', parseQuota)
    .description("change a workspace's disk quota")
    .action(async (id: string, quota: number | null) => {
      const updated = await context.client().workspace.update(id, { quotaBytes: quota })
      context.result(updated, formatWorkspaceDetails)
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
