import path from 'node:path'
import type { Config } from '../config/index.js'
import type { MetadataStore } from '../store/index.js'
import type { WorkspaceService } from '../services/workspaces.js'
import type { CheckpointService } from '../services/checkpoints.js'
import type { SandboxService } from '../services/sandboxes.js'
import type { Reconciler } from '../services/reconciler.js'
import type { Janitor } from '../services/janitor.js'
import type { WorkspaceNfs } from '../nfs/index.js'
import type { LeadershipOptions } from './leadership.js'
import { checkTokenSecret } from './instance-check.js'

/**
 * With several servers, leftovers younger than this are left to a later
 * sweep: another server may be making that workspace or checkpoint now.
 */
export const SHARED_SWEEP_GRACE_MS = 15 * 60 * 1000

/** How often the leader of several servers sweeps again (a lone server sweeps when it starts). */
export const SHARED_SWEEP_INTERVAL_MS = 10 * 60 * 1000

/** The services whose background work only the leader does. */
export interface LeaderServices {
  config: Config
  store: MetadataStore
  workspaces: WorkspaceService
  checkpoints: CheckpointService
  sandboxes: SandboxService
  reconciler: Reconciler
  janitor: Janitor
  nfs: WorkspaceNfs | null
  /** The egress gateway: one per instance, on the leader (absent off Docker). */
  egress?: { start(): Promise<void>; stop(): Promise<void>; tick(): Promise<void> } | undefined
}

/**
 * What the leader starts when it takes the lease, stops when it loses it,
 * and does on each check: the work that must happen once per instance,
 * whichever replica leads.
 */
export function leaderDuties(
  services: LeaderServices,
): Pick<LeadershipOptions, 'onLead' | 'onFollow' | 'onTick'> {
  const { config, store, workspaces, checkpoints, sandboxes, reconciler, janitor, nfs, egress } =
    services
  const shared = store.coordination.replicated
  const grace = shared ? SHARED_SWEEP_GRACE_MS : 0
  let lastSweep = 0
  const sweep = async () => {
    lastSweep = Date.now()
    await workspaces.sweep(grace)
    await checkpoints.sweep()
  }
  return {
    onLead: async () => {
      await checkTokenSecret(store, config.uploadTokens.secret, true)
      await sweep()
      await nfs?.start(path.join(config.dataDir, 'workspaces'))
      // Before the reconciler starts sandboxes again: those behind the gateway need it.
      await egress?.start()
      sandboxes.lead()
      // Its first pass finishes what a crash (of this server, or of a leader before it) cut short.
      await reconciler.start()
      janitor.start()
    },
    onFollow: async () => {
      reconciler.stop()
      sandboxes.follow()
      await janitor.stop()
      await nfs?.stop()
      await egress?.stop()
    },
    onTick: async () => {
      await egress?.tick()
      // Workspaces made or deleted through other replicas reach the NFS server here.
      await nfs?.sync()
      if (shared && Date.now() - lastSweep >= SHARED_SWEEP_INTERVAL_MS) await sweep()
    },
  }
}
