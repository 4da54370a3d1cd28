/**
 * Wire schemas of sandboxes and processes (JSON, snake_case).
 */
import { Type, type Static } from '@sinclair/typebox'
import { MetadataInput, NameInput, StringMap } from './schemas.js'
import { NetworkPolicyBody, NetworkStatus } from './network.js'
import { SecretsBody, SecretsStatus } from './secrets.js'

/** Lifecycle of a sandbox. */
export const SandboxState = Type.Union([
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('pausing'),
  Type.Literal('paused'),
  Type.Literal('resuming'),
  Type.Literal('stopping'),
  Type.Literal('stopped'),
  Type.Literal('error'),
])
export type SandboxState = Static<typeof SandboxState>

/** What the server drives a sandbox to (`deleted` while it is being removed). */
export const DesiredState = Type.Union([
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('stopped'),
  Type.Literal('deleted'),
])
export type DesiredState = Static<typeof DesiredState>

/** What happens to a sandbox when it has been idle too long, or its timeout is reached. */
export const LifecycleAction = Type.Union([
  Type.Literal('delete'),
  Type.Literal('stop'),
  Type.Literal('pause'),
])
export type LifecycleAction = Static<typeof LifecycleAction>

/** A sandbox: one container bound to one workspace. */
export const Sandbox = Type.Object(
  {
    id: Type.String(),
    workspace_id: Type.String(),
    template: Type.String(),
    state: SandboxState,
    created_at: Type.String(),
    updated_at: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    env: Type.Union([StringMap, Type.Null()]),
    metadata: Type.Union([StringMap, Type.Null()]),
    timeout: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Seconds from creation after which on_timeout is applied',
    }),
    error_message: Type.Union([Type.String(), Type.Null()]),
    cpu: Type.Number({ description: 'CPU limit in cores' }),
    memory: Type.Integer({ description: 'Memory limit in bytes (swap included)' }),
    disk_bytes: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Bytes the sandbox may write to its root filesystem (outside its workspace); null when unlimited',
    }),
    network_mode: Type.String(),
    network: Type.Optional(NetworkStatus),
    secrets: Type.Optional(SecretsStatus),
    application_kind: Type.Union([Type.String(), Type.Null()]),
    expires_at: Type.Union([Type.String(), Type.Null()]),
    last_activity_at: Type.String({
      description:
        'ISO 8601 time of the last activity (a call naming the sandbox, a keep-alive, a stream or PTY closing); the idle janitor applies on_idle WORKSPACE_IDLE_TTL_SECONDS after this unless a call or stream is still open',
    }),
    desired_state: Type.Optional(DesiredState),
    on_idle: Type.Optional(LifecycleAction),
    on_timeout: Type.Optional(LifecycleAction),
    auto_resume: Type.Optional(Type.Boolean()),
  },
  { title: 'Sandbox' },
)
export type Sandbox = Static<typeof Sandbox>

/** No NUL: a process's command, arguments, directory and environment are C strings. */
const NO_NUL = '^[^\\u0000]*$'

const EnvMap = Type.Record(
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 256 }),
  Type.String({ maxLength: 32768, pattern: NO_NUL }),
  // TypeBox leaves keys that miss the pattern unchecked unless told otherwise.
  {
    maxProperties: 256,
    additionalProperties: false,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$' },
  },
)

/** Body of `POST /v1/sandboxes`. Unknown fields (privileged, binds, cap_add...) are refused. */
export const CreateSandboxBody = Type.Object(
  {
    workspace_id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' }),
    template: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 512 }), Type.Null()], {
        description:
          "Image reference, [registry[:port]/]path[:tag][@digest] with a lowercase path (400 code 1001 otherwise); images are never pulled. Default: the application kind's template, else WORKSPACE_DEFAULT_IMAGE",
      }),
    ),
    name: NameInput,
    env: Type.Optional(Type.Union([EnvMap, Type.Null()])),
    metadata: MetadataInput,
    timeout: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 30 * 86400 }), Type.Null()]),
    ),
    cpu: Type.Optional(
      Type.Union(
        [
          Type.String({ maxLength: 16 }),
          Type.Number({ minimum: 0.01, maximum: 1024 }),
          Type.Null(),
        ],
        {
          description:
            'CPU limit: cores as a number (0.01 to 1024), or a string of cores ("2", "0.5c") or millicores ("1500m"). At most the host\'s CPU count (400 code 1001 beyond it). Default WORKSPACE_DEFAULT_CPU',
        },
      ),
    ),
    memory: Type.Optional(
      Type.Union(
        [Type.String({ maxLength: 16 }), Type.Integer({ minimum: 6291456 }), Type.Null()],
        {
          description:
            'Memory limit, swap included: bytes as an integer, or a string with a unit k, m, g or t (powers of 1024: "512m", "1.5g", "64MiB"). At least 6m (6291456 bytes) and at most the host\'s total memory (400 code 1001 otherwise). Default WORKSPACE_DEFAULT_MEM',
        },
      ),
    ),
    disk_bytes: Type.Optional(
      Type.Union(
        [
          Type.String({ maxLength: 16 }),
          Type.Integer({ minimum: 1048576, maximum: Number.MAX_SAFE_INTEGER }),
          Type.Null(),
        ],
        {
          description:
            'Bytes the sandbox may write to its root filesystem, outside its workspace (writes past it fail with "Disk quota exceeded" or "No space left on device"; on Kubernetes the pod is evicted): bytes as an integer, or a string with a unit k, m, g or t (powers of 1024: "512m", "2GiB"). At least 1m (1048576 bytes); 400 code 1001 when the engine cannot limit it. Default WM_SANDBOX_DISK_BYTES, else unlimited',
        },
      ),
    ),
    network_mode: Type.Optional(
      Type.Union(
        [
          Type.Literal('none'),
          Type.Literal('bridge'),
          Type.Literal('allowlist'),
          Type.Literal('open'),
          Type.Null(),
        ],
        {
          description:
            'none (default), allowlist (nothing allowed unless network.allow says), open, or the legacy bridge (unfiltered; prefer open); host and container namespaces are never available',
        },
      ),
    ),
    network: Type.Optional(Type.Union([NetworkPolicyBody, Type.Null()])),
    secrets: Type.Optional(Type.Union([SecretsBody, Type.Null()])),
    application_kind: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    on_idle: Type.Optional(
      Type.Union([LifecycleAction, Type.Null()], {
        description:
          'What the idle janitor does to it (default WORKSPACE_IDLE_ACTION, else delete)',
      }),
    ),
    on_timeout: Type.Optional(
      Type.Union([LifecycleAction, Type.Null()], {
        description: "What happens once its timeout is reached (default as on_idle's default)",
      }),
    ),
    auto_resume: Type.Optional(
      Type.Union([Type.Boolean(), Type.Null()], {
        description:
          'Calls that need it running (processes, PTY, port proxy, checkpoints) resume or start a paused or stopped sandbox first. Default true when on_idle or on_timeout is stop or pause',
      }),
    ),
  },
  { additionalProperties: false },
)
export type CreateSandboxBody = Static<typeof CreateSandboxBody>

/** Reply of `GET /v1/sandboxes`. */
export const SandboxList = Type.Object({ sandboxes: Type.Array(Sandbox) })
export type SandboxList = Static<typeof SandboxList>

/** Body of `POST /v1/sandboxes/{id}/processes`. */
export const RunProcessBody = Type.Object(
  {
    cmd: Type.String({ minLength: 1, maxLength: 4096, pattern: NO_NUL }),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 131072, pattern: NO_NUL }), { maxItems: 4096 }),
    ),
    env: Type.Optional(Type.Union([EnvMap, Type.Null()])),
    cwd: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 4096, pattern: NO_NUL }), Type.Null()]),
    ),
    timeout: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 86400 }), Type.Null()], {
        description: 'Seconds; past it the whole process group is killed (408, code 3002)',
      }),
    ),
    stdin: Type.Optional(
      Type.Union([Type.String({ maxLength: 16 * 1024 * 1024 }), Type.Boolean(), Type.Null()], {
        description: 'Text written to stdin then closed; true keeps stdin open for later writes',
      }),
    ),
  },
  { additionalProperties: false },
)
export type RunProcessBody = Static<typeof RunProcessBody>

/** Reply of a process run to completion. */
export const CommandResult = Type.Object(
  {
    pid: Type.Integer(),
    exit_code: Type.Integer(),
    stdout: Type.String(),
    stderr: Type.String(),
    truncated: Type.Boolean(),
  },
  { title: 'CommandResult' },
)
export type CommandResult = Static<typeof CommandResult>

/** A process as listed. */
export const ProcessInfo = Type.Object(
  {
    pid: Type.Integer(),
    cmd: Type.String(),
    args: Type.Array(Type.String()),
    state: Type.Union([Type.Literal('running'), Type.Literal('exited')]),
    exit_code: Type.Union([Type.Integer(), Type.Null()]),
    timed_out: Type.Boolean(),
    started_at: Type.String(),
    ended_at: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'ProcessInfo' },
)
export type ProcessInfo = Static<typeof ProcessInfo>

/** Reply of `GET /v1/sandboxes/{id}/processes`. */
export const ProcessList = Type.Object({ processes: Type.Array(ProcessInfo) })

/** Body of `POST .../processes/{pid}/signal`. */
export const SignalBody = Type.Object(
  { signal: Type.Integer({ minimum: 1, maximum: 64 }) },
  { additionalProperties: false },
)
