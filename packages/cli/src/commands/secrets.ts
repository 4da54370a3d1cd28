import { InvalidArgumentError } from 'commander'
import type { SecretSpec } from 'workspace-sdk'
import { UsageError } from '../exit-codes.js'

/**
 * Parses one `--secret NAME=host[,host...]` into the map of names to hosts
 * (repeatable). The value is never on the command line, where `ps` and the
 * shell's history would show it: it is read from the environment variable
 * NAME of `wm` itself (see `secretParams`).
 */
export function parseSecretEntry(
  entry: string,
  previous: Record<string, string[]> = {},
): Record<string, string[]> {
  const separator = entry.indexOf('=')
  const name = entry.slice(0, separator)
  const hosts = entry
    .slice(separator + 1)
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean)
  if (separator <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !hosts.length) {
    throw new InvalidArgumentError(
      'expected NAME=host[,host...], NAME an environment variable holding the value',
    )
  }
  return { ...previous, [name]: hosts }
}

/**
 * The `secrets` of a create: each name's value from `env` (wm's own
 * environment); a usage error naming the variable when it is not set.
 */
export function secretParams(
  entries: Record<string, string[]> | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, SecretSpec> | undefined {
  if (!entries) return undefined
  return Object.fromEntries(
    Object.entries(entries).map(([name, hosts]) => {
      const value = env[name]
      if (!value) {
        throw new UsageError(
          `--secret ${name}: set the environment variable ${name} to the secret's value (it is read from there, never from the command line)`,
        )
      }
      return [name, { value, hosts }]
    }),
  )
}
