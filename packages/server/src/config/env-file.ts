import fs from 'node:fs'
import { parse } from 'dotenv'
import { ConfigError, type Env } from './parse.js'

/**
 * Loads the dotenv file named by WM_SERVER_ENV_FILE (default `.env.server`)
 * under the real environment: a variable already set in the environment wins.
 * A missing default file is fine; a missing file that was named explicitly is
 * an error, since the operator clearly meant it to exist.
 */
export function loadEnvFile(env: Env = process.env): Record<string, string | undefined> {
  const named = env.WM_SERVER_ENV_FILE?.trim()
  const file = named || '.env.server'
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !named) return { ...env }
    throw new ConfigError(
      'WM_SERVER_ENV_FILE',
      `cannot read "${file}": ${(error as Error).message}`,
    )
  }
  return { ...parse(text), ...env }
}
