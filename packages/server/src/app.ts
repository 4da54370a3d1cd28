import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import type { Logger } from 'pino'
import { Gauge } from 'prom-client'
import { ConfigError, type Config } from './config/index.js'
import { probeQuotas, type QuotaProbe } from './storage/quotas.js'
import { createLogger } from './logging.js'
import { registerAuth } from './http/auth.js'
import { registerErrorHandling } from './http/error-handler.js'
import { registerMetrics } from './http/metrics.js'
import { toOpenApi30 } from './http/openapi-30.js'
import { loadOrCreateKey, openStore, type MetadataStore } from './store/index.js'
import { WorkspaceService } from './services/workspaces.js'
import { createEgress } from './egress/setup.js'
import { networkRoutes } from './routes/network.js'
import { systemRoutes, type ReadinessCheck } from './routes/system.js'
import { workspaceRoutes } from './routes/workspaces.js'
import { fileRoutes } from './routes/files.js'
import { fileContentRoutes } from './routes/file-content.js'
import { createRuntime, type SandboxRuntime } from './runtime/index.js'
import { SandboxService } from './services/sandboxes.js'
import { ProcessService } from './services/processes.js'
import { Reconciler } from './services/reconciler.js'
import { sandboxRoutes } from './routes/sandboxes.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import type { Clock } from './services/lifecycle/clock.js'
import type { RestartPolicy } from './services/lifecycle/recovery.js'
import { processRoutes } from './routes/processes.js'
import { processStdinRoutes } from './routes/process-stdin.js'
import { PtyService } from './services/ptys.js'
import { TokenSigner } from './services/tokens.js'
import { ptyRouteSandbox, ptyRoutes } from './routes/pty.js'
import { isProxyRoute, portProxyRoutes } from './routes/proxy.js'
import { proxyTokenRoutes, verifyProxyToken } from './routes/proxy-token.js'
import { PortConnector } from './services/port-proxy.js'
import { createNfs, findNfsTools } from './nfs/index.js'
import { CheckpointService } from './services/checkpoints.js'
import { checkpointRoutes } from './routes/checkpoints.js'
import { registerPluginRoutes, setUpPlugins } from './plugins/index.js'
import { applicationKindRoutes } from './routes/application-kinds.js'
import { ActivityTracker, registerActivityTracking } from './services/activity.js'
import { Janitor } from './services/janitor.js'
import { fileTokenAuthenticator, fileTokenRoutes } from './routes/file-tokens.js'
import { keepaliveRoutes } from './routes/keepalive.js'
import { portRoutes } from './routes/ports.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { Leadership } from './cluster/leadership.js'
import { SharedActivity } from './cluster/shared-activity.js'
import { checkInstance, checkTokenSecret } from './cluster/instance-check.js'
import { SHARED_SWEEP_GRACE_MS, leaderDuties } from './cluster/leader-duties.js'

/** What `buildApp` may be handed instead of making it from the config. */
export interface AppDeps {
  store?: MetadataStore
  logger?: Logger
  runtime?: SandboxRuntime
  /** What `findNfsTools()` would answer (tests simulate a host without ganesha). */
  nfsTools?: ReturnType<typeof findNfsTools>
  /** `node_modules` directories searched for plugin packages (tests use a temporary one). */
  pluginSearchPaths?: readonly string[]
  /** Janitor period in ms instead of WORKSPACE_JANITOR_INTERVAL_SECONDS (tests go below its 10 s floor). */
  janitorIntervalMs?: number
  /** Time for the janitor, expiry and restart back-off (tests drive their own). */
  clock?: Clock
  /** How a sandbox whose container died is brought back (tests shorten it). */
  restartPolicy?: RestartPolicy
  /** Handed the services that act on time, so tests can run a sweep or a pass at once. */
  expose?: (services: {
    janitor: Janitor
    reconciler: Reconciler
    sandboxes: SandboxService
  }) => void
}

/** How often replicas exchange sandbox activity through the store. */
const SHARED_ACTIVITY_INTERVAL_MS = 5000

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * A 4096-byte workspace path percent-encoded in the query is up to 12 KiB, more than Node's
 * default 16 KiB with the rest of a request's headers: past it the client would get a bare 431.
 */
const MAX_HEADER_BYTES = 64 * 1024

function serverOptions(config: Config) {
  if (!config.tls) return { http: { maxHeaderSize: MAX_HEADER_BYTES } }
  return {
    https: {
      cert: fs.readFileSync(config.tls.certFile),
      key: fs.readFileSync(config.tls.keyFile),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
  }
}

/**
 * Whether workspaces under `workspacesDir` can have quotas. A default quota
 * (WM_WORKSPACE_QUOTA_BYTES) where none can be enforced refuses the start:
 * every workspace would be created unlimited against the operator's intent.
 */
async function workspaceQuotaSupport(
  workspacesDir: string,
  defaultQuotaBytes: number | null,
): Promise<QuotaProbe> {
  await fs.promises.mkdir(workspacesDir, { recursive: true, mode: 0o755 })
  const probe = await probeQuotas(workspacesDir)
  if (defaultQuotaBytes !== null && !probe.quotas) {
    throw new ConfigError(
      'WM_WORKSPACE_QUOTA_BYTES',
      `is set but quotas cannot be enforced: ${probe.reason} (found ${probe.filesystem} at ${workspacesDir})`,
    )
  }
  return probe
}

/**
 * A default root filesystem size (WM_SANDBOX_DISK_BYTES) the engine cannot
 * enforce refuses the start, as a default workspace quota does: every
 * sandbox would run unlimited against the operator's intent.
 */
function checkDefaultDiskLimit(config: Config, runtime: SandboxRuntime): void {
  const refusal = runtime.capabilities.diskLimitRefusal
  if (config.sandboxDefaults.diskBytes === null || !refusal) return
  throw new ConfigError('WM_SANDBOX_DISK_BYTES', `is set but cannot be enforced: ${refusal}`)
}

/**
 * Builds the whole HTTP service without listening, so tests drive it with
 * `app.inject()` and `main.ts` adds only `listen` and signal handling.
 */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger(config)
  // WM_DATABASE_URL's PostgreSQL, else the SQLite file; secrets sealed with the data dir's key.
  const store = deps.store ?? (await openStore(config, logger))
  const app = Fastify({
    loggerInstance: logger,
    ...serverOptions(config),
    requestIdHeader: false,
    genReqId: (request) => {
      const offered = request.headers['x-request-id']
      return typeof offered === 'string' && REQUEST_ID_PATTERN.test(offered)
        ? offered
        : randomUUID()
    },
    // Ids are checked by schema (400 above 128 characters), not cut off by the router (414).
    routerOptions: { maxParamLength: 1024 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
  }) as unknown as FastifyInstance

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id)
  })
  app.addHook('onClose', async () => store.close())
  const workspacesDir = path.join(config.dataDir, 'workspaces')
  let quotas: QuotaProbe
  try {
    // Before anything is written: a server on another instance's data dir or key must not start.
    await checkInstance(store, {
      dataDir: config.dataDir,
      sealingKey: loadOrCreateKey(path.join(config.dataDir, 'secret.key')),
    })
    quotas = await workspaceQuotaSupport(workspacesDir, config.workspaceQuotaBytes)
  } catch (error) {
    await app.close()
    throw error
  }

  registerErrorHandling(app)
  const corsOptions = {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    exposedHeaders: ['x-request-id'],
  }
  await app.register(cors, {
    // Only a real preflight (Origin and Access-Control-Request-Method) is answered as one; any
    // other OPTIONS goes on to its route (the port proxy passes it through) or is 405.
    delegator: (request, callback) => {
      const { origin } = request.headers
      const preflight = Boolean(origin && request.headers['access-control-request-method'])
      callback(null, { ...corsOptions, preflight })
    },
  })
  await app.register(swagger, {
    openapi: {
      info: { title: 'Workspace Manager API', version: config.version },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: config.auth.header } },
      },
      security: config.auth.apiKeys.length ? [{ apiKey: [] }] : [],
    },
    transformObject: (document) =>
      toOpenApi30('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  const tokens = new TokenSigner(config.uploadTokens.secret)
  const fileTokenAuth = fileTokenAuthenticator(config, tokens)
  registerAuth(app, config.auth.apiKeys, config.auth.header, (request) => {
    if (fileTokenAuth(request)) return true
    if (isProxyRoute(request) && verifyProxyToken(tokens, request.raw)) return true
    const sandboxId = ptyRouteSandbox(request)
    const token = (request.query as { token?: unknown }).token
    if (sandboxId === undefined || typeof token !== 'string') return false
    tokens.verify(token, { sub: sandboxId, op: 'pty' })
    return true
  })
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } })
  const metrics = registerMetrics(app)

  const nfs = createNfs(config, store, app.log, deps.nfsTools ?? findNfsTools())
  const workspaces = new WorkspaceService({
    workspacesDir,
    quotas,
    defaultQuotaBytes: config.workspaceQuotaBytes,
    trashDir: path.join(config.dataDir, 'trash'),
    maxTransferBytes: config.maxFileTransferBytes,
    store,
    log: app.log,
    exports: nfs ?? undefined,
  })

  const runtime = deps.runtime ?? createRuntime(config, app.log)
  const egress = createEgress({ config, runtime, store, log: app.log })
  // After preClose has stopped the sandbox services: nothing needs an agent any more.
  app.addHook('onClose', async () => runtime.close?.())
  const clock = deps.clock
  const activity = new ActivityTracker(undefined, clock ? () => clock.now() : Date.now)
  registerActivityTracking(app, activity)
  const plugins = await setUpPlugins(app, config, deps.pluginSearchPaths)
  const sandboxes = new SandboxService({
    config,
    store,
    runtime,
    workspaces,
    log: app.log,
    activity,
    kinds: plugins.kinds,
    denials: egress.denials,
    ...(clock ? { clock } : {}),
    ...(deps.restartPolicy ? { restartPolicy: deps.restartPolicy } : {}),
  })
  const janitor = new Janitor({
    store,
    lifecycle: sandboxes.lifecycle,
    activity,
    ...(clock ? { clock } : {}),
    log: app.log,
    idleTtlSeconds: config.janitor.idleTtlSeconds,
    intervalMs: deps.janitorIntervalMs ?? config.janitor.intervalSeconds * 1000,
  })
  const processes = new ProcessService(sandboxes)
  sandboxes.onForget((id) => egress.forget(id))
  const reconciler = new Reconciler({
    store,
    runtime,
    lifecycle: sandboxes.lifecycle,
    log: app.log,
    intervalSeconds: config.reconcileIntervalSeconds,
  })
  deps.expose?.({ janitor, reconciler, sandboxes })
  const checkpoints = new CheckpointService({
    enabled: config.checkpointsEnabled,
    store,
    runtime,
    sandboxes,
    workspaces,
    checkpointsDir: path.join(config.dataDir, 'checkpoints'),
    leftoverGraceMs: store.coordination.replicated ? SHARED_SWEEP_GRACE_MS : 0,
    trashDir: path.join(config.dataDir, 'trash'),
    log: app.log,
  })
  app.addHook('preClose', async () => checkpoints.close())

  const leadership = new Leadership({
    store,
    replicaId: config.replica.id,
    intervalMs: config.replica.leaderCheckIntervalSeconds * 1000,
    log: app.log,
    ...leaderDuties({
      config,
      store,
      workspaces,
      checkpoints,
      sandboxes,
      reconciler,
      janitor,
      nfs,
      egress: egress.gateway,
    }),
  })
  const sharedActivity = store.coordination.replicated
    ? new SharedActivity({ store, activity, log: app.log, intervalMs: SHARED_ACTIVITY_INTERVAL_MS })
    : undefined
  app.addHook('onReady', async () => {
    // Before anything starts a sandbox: under runsc the network and checkpoint kinds depend on it.
    await runtime.probe()
    checkDefaultDiskLimit(config, runtime)
    sandboxes.start()
    sharedActivity?.start()
    await leadership.start()
    const { leader } = leadership.status()
    if (!leader) await checkTokenSecret(store, config.uploadTokens.secret, false)
  })
  app.addHook('preClose', async () => {
    await leadership.close()
    await sharedActivity?.stop()
    await sandboxes.stop()
  })

  const checks: ReadinessCheck[] = [
    { name: 'store', check: () => store.ping() },
    { name: 'engine', check: () => runtime.ping() },
  ]
  new Gauge({
    name: 'wm_leader',
    help: '1 on the replica holding the leader lease (doing the background work), 0 on others',
    labelNames: ['replica'] as const,
    registers: [metrics],
    collect() {
      this.set({ replica: config.replica.id }, leadership.status().leader ? 1 : 0)
    },
  })
  systemRoutes(app, {
    version: config.version,
    checks,
    metrics,
    replica: () => leadership.status(),
  })
  workspaceRoutes(app, workspaces)
  fileRoutes(app, workspaces)
  await app.register(fileContentRoutes, {
    workspaces,
    maxTransferBytes: config.maxFileTransferBytes,
  })
  lifecycleRoutes(app, sandboxes)
  networkRoutes(app, sandboxes)
  sandboxRoutes(
    app,
    sandboxes,
    plugins.kinds.list().map((kind) => kind.kind),
  )
  fileTokenRoutes(app, { workspaces, tokens, config })
  keepaliveRoutes(app, { sandboxes, activity })
  portRoutes(app, { sandboxes, config })
  proxyTokenRoutes(app, { sandboxes, tokens })
  processRoutes(app, processes)
  checkpointRoutes(app, checkpoints)
  applicationKindRoutes(app, plugins.kinds)
  await registerPluginRoutes(app, plugins, { sandboxes, processes })
  await app.register(processStdinRoutes, { processes })
  await app.register(ptyRoutes, { ptys: new PtyService(sandboxes), sandboxes, tokens })
  await app.register(portProxyRoutes, {
    ports: new PortConnector(sandboxes),
    apiKeys: config.auth.apiKeys,
    apiKeyHeader: config.auth.header,
    tokens,
    onConnection: (sandboxId) => activity.begin(sandboxId),
  })
  await app.register(dashboardRoutes, { auth: config.auth })
  return app
}
