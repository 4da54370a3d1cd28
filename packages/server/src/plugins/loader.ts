import fs from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/index.js'
import type { WorkspaceManagerPlugin } from './types.js'
import { checkPlugin } from './validate.js'

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** WM_PLUGINS_* settings. */
  config: Config['plugins']
  /** Plugins shipped with the server (Splunk); subject to the same lists. */
  builtins: readonly WorkspaceManagerPlugin[]
  log: FastifyBaseLogger
  /**
   * `node_modules` directories searched for packages declaring plugins;
   * default {@link defaultSearchPaths}.
   */
  searchPaths?: readonly string[]
}

/** A plugin and where it came from. */
export interface LoadedPlugin {
  plugin: WorkspaceManagerPlugin
  /** `built-in`, `module <specifier>` or `package <name> (<group>)`. */
  source: string
}

/** A module to import, and how to name it in messages. */
interface Candidate {
  url: string
  source: string
}

/**
 * Every `node_modules` directory Node would resolve a package from, starting
 * at the working directory and at the server package, outermost last.
 */
export function defaultSearchPaths(): string[] {
  const found: string[] = []
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (const start of [process.cwd(), here]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules')
      if (existsSync(candidate) && !found.includes(candidate)) found.push(candidate)
      if (path.dirname(dir) === dir) break
    }
  }
  return found
}

/** An import URL for a WM_PLUGINS_MODULES entry: paths are taken from the working directory. */
function moduleUrl(specifier: string): string {
  if (specifier.startsWith('file:')) return specifier
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    return pathToFileURL(path.resolve(specifier)).href
  }
  return specifier
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown
  } catch {
    return undefined
  }
}

async function packageDirs(nodeModules: string): Promise<string[]> {
  const names = await fs.readdir(nodeModules).catch(() => [] as string[])
  const dirs: string[] = []
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue
    if (!name.startsWith('@')) {
      dirs.push(path.join(nodeModules, name))
      continue
    }
    const scoped = await fs.readdir(path.join(nodeModules, name)).catch(() => [] as string[])
    for (const inner of scoped.sort()) dirs.push(path.join(nodeModules, name, inner))
  }
  return dirs
}

/**
 * Packages whose package.json declares
 * `"workspaceManager": {"plugins": {"<group>": "./entry.js"}}` for one of
 * `groups`, as modules to import. An entry outside its package is an error.
 */
async function entryPoints(
  searchPaths: readonly string[],
  groups: readonly string[],
  errors: string[],
): Promise<Candidate[]> {
  const found: Candidate[] = []
  const seen = new Set<string>()
  for (const nodeModules of searchPaths) {
    const dirs = await packageDirs(nodeModules)
    const manifests = await Promise.all(dirs.map((dir) => readJson(path.join(dir, 'package.json'))))
    for (const [index, dir] of dirs.entries()) {
      const manifest = manifests[index] as
        { name?: unknown; workspaceManager?: { plugins?: Record<string, unknown> } } | undefined
      const declared = manifest?.workspaceManager?.plugins
      if (typeof declared !== 'object' || declared === null) continue
      const real = await fs.realpath(dir).catch(() => dir)
      for (const group of groups) {
        const entry = declared[group]
        if (entry === undefined) continue
        const name = typeof manifest?.name === 'string' ? manifest.name : path.basename(dir)
        const source = `package ${name} (${group})`
        const file = typeof entry === 'string' ? path.resolve(real, entry) : ''
        if (!file || path.relative(real, file).startsWith('..')) {
          errors.push(`${source}: the entry must be a path inside the package`)
          continue
        }
        if (seen.has(file)) continue
        seen.add(file)
        found.push({ url: pathToFileURL(file).href, source })
      }
    }
  }
  return found
}

/**
 * Loads the built-in plugins, the modules of WM_PLUGINS_MODULES and the
 * packages declaring a plugin for a group of WM_PLUGINS_ENTRYPOINT_GROUPS,
 * keeps those the allow and deny lists select (by plugin name; the deny
 * list wins), and refuses duplicate plugin or kind names. A plugin that
 * fails to load is skipped with a warning, or, with WM_PLUGINS_FAIL_FAST,
 * makes this reject. WM_PLUGINS_ENABLED=false loads nothing.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugin[]> {
  const { config, log } = options
  if (!config.enabled) {
    log.info('plugins are disabled (WM_PLUGINS_ENABLED=false): no application kinds')
    return []
  }
  const errors: string[] = []
  const candidates: Array<LoadedPlugin | Candidate> = [
    ...options.builtins.map((plugin) => ({ plugin, source: 'built-in' })),
    ...config.modules.map((specifier) => ({
      url: moduleUrl(specifier),
      source: `module ${specifier}`,
    })),
    ...(await entryPoints(
      options.searchPaths ?? defaultSearchPaths(),
      config.entrypointGroups,
      errors,
    )),
  ]
  const loaded: LoadedPlugin[] = []
  const kinds = new Map<string, string>()
  for (const candidate of candidates) {
    let plugin: WorkspaceManagerPlugin
    try {
      if ('plugin' in candidate) {
        plugin = checkPlugin(candidate.plugin, candidate.source)
      } else {
        const module = (await import(candidate.url)) as { default?: unknown }
        plugin = checkPlugin(module.default, candidate.source)
      }
    } catch (error) {
      errors.push(
        error instanceof Error && error.message.startsWith(candidate.source)
          ? error.message
          : `${candidate.source}: ${(error as Error).message}`,
      )
      continue
    }
    if (config.denylist.includes(plugin.name)) continue
    if (config.allowlist.length && !config.allowlist.includes(plugin.name)) continue
    const clash = loaded.find((other) => other.plugin.name === plugin.name)
    if (clash) {
      errors.push(
        `${candidate.source}: a plugin named ${plugin.name} came already from ${clash.source}`,
      )
      continue
    }
    const taken = plugin.kinds.find((kind) => kinds.has(kind.kind))
    if (taken) {
      errors.push(
        `${candidate.source}: kind ${taken.kind} is already provided by plugin ${kinds.get(taken.kind)}`,
      )
      continue
    }
    for (const kind of plugin.kinds) kinds.set(kind.kind, plugin.name)
    loaded.push({ plugin, source: candidate.source })
  }
  if (errors.length && config.failFast) {
    throw new Error(`plugins could not be loaded (WM_PLUGINS_FAIL_FAST=true): ${errors.join('; ')}`)
  }
  for (const message of errors) log.warn({ plugin_error: message }, 'plugin skipped')
  for (const { plugin, source } of loaded) {
    log.info(
      { plugin: plugin.name, source, kinds: plugin.kinds.map((k) => k.kind) },
      'plugin loaded',
    )
  }
  return loaded
}
