/** `wm sandbox create|list|get|stop|start|pause|resume|rm|wait`. */
import { Option, type Command } from 'commander'
import type {
  CreateSandboxParams,
  LifecycleAction,
  NetworkMode,
  Sandbox,
  SandboxState,
} from 'workspace-sdk'
import type { CliContext } from '../context.js'
import {
  parseCpu,
  parseMemory,
  parsePort,
  parseSeconds,
  parseWholeSeconds,
} from '../option-values.js'
import { formatSandboxDetails, formatSandboxTable } from '../output.js'
import { parseMetaEntry } from './workspace.js'
import { collect, registerNetworkCommand } from './network.js'
import { parseSecretEntry, secretParams } from './secrets.js'

const STATES: SandboxState[] = [
  'starting',
  'running',
  'pausing',
  'paused',
  'resuming',
  'stopping',
  'stopped',
  'error',
]
const NETWORK_MODES: NetworkMode[] = ['none', 'allowlist', 'open', 'bridge']
const LIFECYCLE_ACTIONS: LifecycleAction[] = ['delete', 'stop', 'pause']

/** `wm sandbox <verb> <id>` commands that change a sandbox's state, and what each says. */
const STATE_CHANGES = [
  ['stop', 'end its processes and stop it; its root filesystem and workspace stay'],
  ['start', 'run a stopped sandbox again'],
  ['pause', 'freeze its processes (a stopped sandbox cannot be paused)'],
  ['resume', 'make a paused (or stopped) sandbox run again'],
] as const

/** Options of `wm sandbox create`, as commander parses them. */
export interface CreateSandboxFlags {
  workspace: string
  template?: string
  name?: string
  env?: Record<string, string>
  meta?: Record<string, string>
  timeout?: number
  cpu?: number | string
  memory?: number | string
  disk?: number | string
  network?: NetworkMode
  networkMode?: NetworkMode
  allow?: string[]
  secret?: Record<string, string[]>
  onIdle?: LifecycleAction
  onTimeout?: LifecycleAction
  autoResume?: boolean
}

/** The SDK parameters for `wm sandbox create` flags (secret values from `env`). */
export function createParams(
  flags: CreateSandboxFlags,
  env: NodeJS.ProcessEnv = process.env,
): CreateSandboxParams {
  const secrets = secretParams(flags.secret, env)
  return {
    workspaceId: flags.workspace,
    template: flags.template,
    name: flags.name,
    env: flags.env,
    metadata: flags.meta,
    timeout: flags.timeout,
    cpu: flags.cpu,
    memory: flags.memory,
    ...(flags.disk !== undefined ? { diskBytes: flags.disk } : {}),
    ...networkParams(flags),
    ...(secrets ? { secrets } : {}),
    onIdle: flags.onIdle,
    onTimeout: flags.onTimeout,
    autoResume: flags.autoResume,
  }
}

/**
 * `--network-mode` (or `--network`) and `--allow`: a policy (`network`) for none, allowlist and
 * open; the legacy `bridge` as `networkMode`. `--allow` alone means allowlist.
 */
function networkParams(flags: CreateSandboxFlags): Partial<CreateSandboxParams> {
  const mode = flags.networkMode ?? flags.network ?? (flags.allow ? 'allowlist' : undefined)
  if (mode === undefined) return {}
  if (mode === 'bridge' || (!flags.allow && mode === 'none')) return { networkMode: mode }
  return { network: { mode, allow: flags.allow } }
}

/** Adds the `sandbox` command group to the program. */
export function registerSandboxCommands(program: Command, context: CliContext): void {
  const sandbox = program
    .command('sandbox')
    .alias('sb')
    .description('create, list, inspect, stop, start, pause, resume, wait for and delete sandboxes')
  const service = () => context.client().sandbox

  sandbox
    .command('create')
    .description('create a sandbox bound to a workspace, wait until it runs, print its id')
    .requiredOption('--workspace <id>', 'workspace to mount at /workspace')
    .option('--template <image>', 'image to run (default: the server default)')
    .option('--name <name>', 'human-readable name')
    .option('--env <key=value...>', 'environment entry (repeatable)', parseMetaEntry)
    .option('--meta <key=value...>', 'metadata entry (repeatable)', parseMetaEntry)
    .option('--timeout <seconds>', 'apply --on-timeout this long after creation', parseWholeSeconds)
    .option('--cpu <cores>', 'CPU limit: 0.5, 1c or 500m', parseCpu)
    .option('--memory <size>', 'memory limit: bytes, 512m or 2g', parseMemory)
    .option(
      '--disk <size>',
      "what it may write to its root filesystem: bytes, 512m or 2GiB (default: the server's)",
      parseMemory,
    )
    .addOption(
      new Option('--network-mode <mode>', 'network (default: none; see docs/network.md)').choices(
        NETWORK_MODES,
      ),
    )
    .addOption(new Option('--network <mode>', 'same as --network-mode').choices(NETWORK_MODES))
    .option(
      '--allow <entry>',
      'allowlist entry: host, *.domain, address or CIDR, with an optional :port (repeatable)',
      collect,
    )
    .option(
      '--secret <NAME=hosts>',
      'a secret the sandbox sees only as a placeholder in $NAME; the gateway sends its value (read from your own $NAME) to these comma-separated hosts (repeatable; see docs/secrets.md)',
      parseSecretEntry,
    )
    .addOption(
      new Option(
        '--on-idle <action>',
        "what to do once it has been idle too long (default: the server's)",
      ).choices(LIFECYCLE_ACTIONS),
    )
    .addOption(
      new Option('--on-timeout <action>', 'what to do once --timeout is reached').choices(
        LIFECYCLE_ACTIONS,
      ),
    )
    .option(
      '--auto-resume',
      'calls that need it running start or resume it first (default when an action is stop or pause)',
    )
    .option('--no-auto-resume', 'such calls fail while it is paused or stopped')
    .action(async (flags: CreateSandboxFlags) => {
      context.result(await service().create(createParams(flags)), (sb) => `${sb.id}\n`)
    })

  sandbox
    .command('list')
    .alias('ls')
    .description('list sandboxes, oldest first')
    .option('--workspace <id>', 'only sandboxes of this workspace')
    .addOption(new Option('--state <state>', 'only sandboxes in this state').choices(STATES))
    .action(async (flags: { workspace?: string; state?: SandboxState }) => {
      const sandboxes = await service().list({ workspaceId: flags.workspace, state: flags.state })
      context.result(sandboxes, formatSandboxTable)
    })

  sandbox
    .command('get')
    .argument('<id>', 'sandbox id')
    .description('show one sandbox')
    .action(async (id: string) => {
      context.result(await service().get(id), formatSandboxDetails)
    })

  for (const [verb, description] of STATE_CHANGES) {
    sandbox
      .command(verb)
      .argument('<id>', 'sandbox id')
      .description(`${description}; print the sandbox as get does`)
      .action(async (id: string) => {
        const changed: Sandbox = await service()[verb](id)
        context.result(changed, formatSandboxDetails)
      })
  }

  registerNetworkCommand(sandbox, context)

  sandbox
    .command('port-url')
    .argument('<id>', 'sandbox id')
    .argument('<port>', 'port inside the sandbox, 1-65535', parsePort)
    .description(
      'print a URL that opens the port in a browser: a proxy token (good for about 5 minutes) stands in for the API key',
    )
    .action(async (id: string, port: number) => {
      const url = await service().proxyUrl(id, port)
      context.result({ url }, (value) => `${value.url}\n`)
    })

  sandbox
    .command('rm')
    .alias('delete')
    .argument('<id>', 'sandbox id')
    .option('--force', 'kill at once instead of SIGTERM and a grace period')
    .description('stop and remove a sandbox (the workspace is kept)')
    .action(async (id: string, flags: { force?: boolean }) => {
      await service().delete(id, { force: flags.force === true })
      context.result({ id, deleted: true }, () => '')
    })

  sandbox
    .command('wait')
    .argument('<id>', 'sandbox id')
    .addOption(
      new Option('--state <state>', 'state to wait for').choices(STATES).default('running'),
    )
    .option(
      '--timeout <seconds>',
      'give up after this long (default: $WM_CREATE_TIMEOUT)',
      parseSeconds,
    )
    .description('wait until a sandbox is in a state (fails if it lands in error instead)')
    .action(async (id: string, flags: { state: SandboxState; timeout?: number }) => {
      const timeoutMs = flags.timeout === undefined ? undefined : flags.timeout * 1000
      const sb = await service().waitForState(id, flags.state, { timeoutMs })
      context.result(sb, () => '')
    })
}
