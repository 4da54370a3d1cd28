import fs from 'node:fs/promises'
import fsSync from 'node:fs'
import path from 'node:path'
import { createHmac, randomUUID } from 'node:crypto'
import type { MetadataStore } from '../store/index.js'

/** The file in WM_DATA_DIR naming the instance whose data it holds. */
export const INSTANCE_ID_FILE = 'instance-id'

/** A server that must not start: its data dir or secrets differ from the other replicas'. */
export class InstanceMismatchError extends Error {
  override readonly name = 'InstanceMismatchError'
}

/** A short proof of a secret, the same for equal secrets, that says nothing about it. */
export function secretCheck(secret: Buffer | string, purpose: string): string {
  return createHmac('sha256', secret).update(`wm:${purpose}`).digest('hex').slice(0, 32)
}

/**
 * The data dir's instance id (`WM_DATA_DIR/instance-id`), written once (by
 * the first server to get there, as `offered`) if it has none. The runtime
 * labels containers with it, so servers of other instances sharing an
 * engine never touch each other's.
 */
export function dataDirInstanceId(dataDir: string, offered: string = randomUUID()): string {
  const file = path.join(dataDir, INSTANCE_ID_FILE)
  fsSync.mkdirSync(dataDir, { recursive: true })
  try {
    // `wx`: of several servers starting on one new data dir, one writes and the rest read it.
    fsSync.writeFileSync(file, `${offered}\n`, { flag: 'wx', mode: 0o644 })
    return offered
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const text = fsSync.readFileSync(file, 'utf8').trim()
    if (!text) throw new InstanceMismatchError(`${file} is empty; it must hold the instance id`)
    return text
  }
}

/** What must be the same on every server sharing one store. */
export interface InstanceIdentity {
  dataDir: string
  /** The key sealing env and agent tokens (secret.key). */
  sealingKey: Buffer
}

/**
 * Refuses a server whose setup differs from the others sharing its store:
 * its WM_DATA_DIR must be the instance's (the `instance-id` file equals the
 * id the store holds), and its sealing key the one the rows were sealed
 * with. The first server of a new store records both; neither ever changes.
 * Resolves the instance id.
 */
export async function checkInstance(
  store: MetadataStore,
  identity: InstanceIdentity,
): Promise<string> {
  const { dataDir } = identity
  const file = path.join(dataDir, INSTANCE_ID_FILE)
  const recorded = await store.getSetting('instance_id')
  const fileExists = await fs.stat(file).then(
    () => true,
    () => false,
  )
  if (recorded !== undefined && !fileExists) {
    throw new InstanceMismatchError(
      `WM_DATA_DIR (${dataDir}) has no ${INSTANCE_ID_FILE} but the database belongs to instance ` +
        `${recorded}: every server must use that instance's data directory (on several hosts, a ` +
        `shared filesystem mounted at the same path)`,
    )
  }
  const local = dataDirInstanceId(dataDir, recorded ?? randomUUID())
  const instanceId = await store.claimSetting('instance_id', local)
  if (instanceId !== local) {
    throw new InstanceMismatchError(
      `WM_DATA_DIR (${dataDir}) belongs to instance ${local} but the database to instance ` +
        `${instanceId}: point WM_DATA_DIR and WM_DATABASE_URL at the same instance`,
    )
  }
  const keyCheck = secretCheck(identity.sealingKey, 'sealing_key_check')
  if ((await store.claimSetting('sealing_key_check', keyCheck)) !== keyCheck) {
    throw new InstanceMismatchError(
      `${path.join(dataDir, 'secret.key')} is not the key instance ${instanceId} sealed its ` +
        'secrets with: every server must use the instance’s secret.key',
    )
  }
  return instanceId
}

const TOKEN_SECRET_SETTING = 'token_secret_check'

/**
 * The token secret (WORKSPACE_UPLOAD_TOKEN_SECRET) signs file and PTY tokens
 * one replica hands out and another checks, so all must share it. The leader
 * records its own (a secret may be changed by restarting every server); a
 * follower whose secret differs from the leader's refuses to start.
 */
export async function checkTokenSecret(
  store: MetadataStore,
  tokenSecret: string,
  leading: boolean,
): Promise<void> {
  const mine = secretCheck(tokenSecret, TOKEN_SECRET_SETTING)
  if (leading) return store.putSetting(TOKEN_SECRET_SETTING, mine)
  const leaders = await store.getSetting(TOKEN_SECRET_SETTING)
  if (leaders !== undefined && leaders !== mine) {
    throw new InstanceMismatchError(
      'WORKSPACE_UPLOAD_TOKEN_SECRET differs from the leader’s: tokens one server hands out ' +
        'would be refused by the others; give every server the same secret',
    )
  }
}
