import path from 'node:path'
import type { Config } from '../config/index.js'
import type { MetadataStore } from './types.js'
import { SqliteStore } from './sqlite.js'
import { PostgresStore } from './postgres.js'
import { ValueSealer, loadOrCreateKey } from './sealed-values.js'
import type { StoreLog } from './postgres-db.js'

/**
 * The store `config` names: the PostgreSQL database of WM_DATABASE_URL
 * (shared by replicas), else the embedded SQLite file in the data dir.
 * Either way sandbox env (credentials) and agent tokens are sealed with the
 * key in the data dir, which every replica shares.
 */
export async function openStore(config: Config, log?: StoreLog): Promise<MetadataStore> {
  const sealer = new ValueSealer(loadOrCreateKey(path.join(config.dataDir, 'secret.key')))
  if (config.databaseUrl !== null) {
    return PostgresStore.open(config.databaseUrl, {
      sealer,
      poolSize: config.databasePoolSize,
      ...(log ? { log } : {}),
    })
  }
  return new SqliteStore(path.join(config.dataDir, 'wm.db'), { sealer })
}
