/** `wm files ls|cat|put|get|rm|mkdir|mv|cp`. */
import { basename, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { UsageError } from '../exit-codes.js'
import { formatFileTable } from '../output.js'

const STDIO = '-'

interface OverwriteOption {
  overwrite?: boolean
}

/** Where a transfer's local end is: LOCALFILE as given (`-` for stdin/stdout), else PATH's basename. */
export function localTarget(remotePath: string, localFile: string | undefined): string {
  if (localFile !== undefined) return localFile
  const name = basename(remotePath.replace(/\/+$/, ''))
  if (name === '' || name === '.' || name === '..') {
    throw new UsageError(
      `${JSON.stringify(remotePath)} has no file name: give LOCALFILE, or - for stdio`,
    )
  }
  return name
}

/** Copies a stream to stdout without ending stdout. */
async function toStdout(stream: NodeJS.ReadableStream): Promise<void> {
  await pipeline(stream, process.stdout, { end: false })
}

/** Adds the `files` command group to the program. */
export function registerFileCommands(program: Command, context: CliContext): void {
  const files = program.command('files').description('work with files in a workspace')
  const service = () => context.client().workspace

  files
    .command('ls')
    .argument('<workspace>', 'workspace id')
    .argument('[path]', 'directory (default: the workspace root)', '')
    .description('list a directory')
    .action(async (ws: string, path: string) => {
      context.result(await service().listFiles(ws, path), formatFileTable)
    })

  files
    .command('cat')
    .argument('<workspace>', 'workspace id')
    .argument('<path>', 'file path')
    .description('write a file to stdout')
    .action(async (ws: string, path: string) => {
      await toStdout(await service().readFileStream(ws, path))
    })

  files
    .command('put')
    .argument('<workspace>', 'workspace id')
    .argument('<path>', 'destination path in the workspace')
    .argument('[localfile]', 'local file, or - for stdin (default: basename of PATH)')
    .description('upload a file (parent directories are created)')
    .action(async (ws: string, path: string, localFile?: string) => {
      const source = localTarget(path, localFile)
      const info =
        source === STDIO
          ? await service().writeFile(ws, path, process.stdin)
          : await service().uploadFile(ws, path, source)
      context.result(info, () => '')
    })

  files
    .command('get')
    .argument('<workspace>', 'workspace id')
    .argument('<path>', 'file path in the workspace')
    .argument('[localfile]', 'local file, or - for stdout (default: basename of PATH)')
    .description('download a file (written whole or not at all)')
    .action(async (ws: string, path: string, localFile?: string) => {
      const target = localTarget(path, localFile)
      if (target === STDIO) return toStdout(await service().readFileStream(ws, path))
      const bytes = await service().downloadFile(ws, path, target)
      context.result({ path, localPath: resolve(target), bytes }, () => '')
    })

  files
    .command('rm')
    .argument('<workspace>', 'workspace id')
    .argument('<path>', 'file or directory')
    .option('-r, --recursive', 'delete a directory and everything in it')
    .description('delete a file or directory')
    .action(async (ws: string, path: string, options: { recursive?: boolean }) => {
      await service().deleteFile(ws, path, { recursive: options.recursive === true })
      context.result({ path, deleted: true }, () => '')
    })

  files
    .command('mkdir')
    .argument('<workspace>', 'workspace id')
    .argument('<path>', 'directory to create')
    .option('-p, --parents', 'create missing parents; an existing directory is not an error')
    .description('create a directory')
    .action(async (ws: string, path: string, options: { parents?: boolean }) => {
      const info = await service().mkdir(ws, path, { parents: options.parents === true })
      context.result(info, () => '')
    })

  const transferCommand = (name: string, description: string) =>
    files
      .command(name)
      .argument('<workspace>', 'workspace id')
      .argument('<source>', 'source path')
      .argument('<destination>', 'destination path')
      .option('--overwrite', 'replace an existing destination file')
      .description(description)

  transferCommand('mv', 'move or rename a file or directory').action(
    async (ws: string, source: string, destination: string, options: OverwriteOption) => {
      const overwrite = options.overwrite === true
      context.result(await service().moveFile(ws, source, destination, { overwrite }), () => '')
    },
  )

  transferCommand('cp', 'copy a file or directory (directories recursively)').action(
    async (ws: string, source: string, destination: string, options: OverwriteOption) => {
      const overwrite = options.overwrite === true
      context.result(await service().copyFile(ws, source, destination, { overwrite }), () => '')
    },
  )
}
