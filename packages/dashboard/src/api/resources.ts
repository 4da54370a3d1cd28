/**
 * The API calls the dashboard makes, typed with the wire schemas (snake_case,
 * as the server sends them: the pages show wire fields, so nothing converts).
 */
import type {
  Checkpoint,
  CreateSandboxBody,
  FileInfo,
  NetworkPolicyBody,
  ProcessInfo,
  Sandbox,
  Workspace,
} from '@workspace-manager/protocol'
import { request, requestJson } from './client.js'

export type {
  Checkpoint,
  CreateSandboxBody,
  FileInfo,
  NetworkPolicyBody,
  ProcessInfo,
  Sandbox,
  Workspace,
}

const enc = encodeURIComponent

/** Workspaces. */
export const workspaces = {
  list: async () =>
    (await requestJson<{ workspaces: Workspace[] }>('GET', '/v1/workspaces')).workspaces,
  get: (id: string) => requestJson<Workspace>('GET', `/v1/workspaces/${enc(id)}`),
  create: (body: { name?: string; metadata?: Record<string, string> }) =>
    requestJson<Workspace>('POST', '/v1/workspaces', { json: body }),
  delete: (id: string) => requestJson<void>('DELETE', `/v1/workspaces/${enc(id)}`),
}

/** Files of one workspace. */
export const files = {
  list: async (id: string, path: string) =>
    (
      await requestJson<{ files: FileInfo[] }>('GET', `/v1/workspaces/${enc(id)}/files`, {
        query: { path },
      })
    ).files,
  readText: async (id: string, path: string) =>
    (await request('GET', `/v1/workspaces/${enc(id)}/files/content`, { query: { path } })).text(),
  readBlob: async (id: string, path: string) =>
    (await request('GET', `/v1/workspaces/${enc(id)}/files/content`, { query: { path } })).blob(),
  write: (id: string, path: string, body: BodyInit) =>
    requestJson<FileInfo>('PUT', `/v1/workspaces/${enc(id)}/files/content`, {
      query: { path },
      body,
      headers: { 'content-type': 'application/octet-stream' },
    }),
  mkdir: (id: string, path: string) =>
    requestJson<FileInfo>('POST', `/v1/workspaces/${enc(id)}/files/mkdir`, {
      json: { path, parents: true },
    }),
  move: (id: string, source: string, destination: string) =>
    requestJson<FileInfo>('POST', `/v1/workspaces/${enc(id)}/files/move`, {
      json: { source, destination, overwrite: false },
    }),
  delete: (id: string, path: string, recursive: boolean) =>
    requestJson<void>('DELETE', `/v1/workspaces/${enc(id)}/files`, {
      query: { path, recursive },
    }),
}

/** Lifecycle operations a sandbox takes. */
export type LifecycleOperation = 'stop' | 'start' | 'pause' | 'resume'

/** Sandboxes, their processes, checkpoints and ports. */
export const sandboxes = {
  list: async (workspaceId?: string) =>
    (
      await requestJson<{ sandboxes: Sandbox[] }>('GET', '/v1/sandboxes', {
        query: { workspace_id: workspaceId },
      })
    ).sandboxes,
  get: (id: string) => requestJson<Sandbox>('GET', `/v1/sandboxes/${enc(id)}`),
  create: (body: CreateSandboxBody) =>
    requestJson<Sandbox>('POST', '/v1/sandboxes', { json: body }),
  delete: (id: string) => requestJson<void>('DELETE', `/v1/sandboxes/${enc(id)}`),
  /** Changes the network policy of a running sandbox behind the egress gateway. */
  setNetwork: (id: string, body: NetworkPolicyBody) =>
    requestJson<unknown>('PATCH', `/v1/sandboxes/${enc(id)}/network`, { json: body }),
  act: (id: string, operation: LifecycleOperation) =>
    requestJson<Sandbox>('POST', `/v1/sandboxes/${enc(id)}/${operation}`),
  processes: async (id: string) =>
    (await requestJson<{ processes: ProcessInfo[] }>('GET', `/v1/sandboxes/${enc(id)}/processes`))
      .processes,
  signal: (id: string, pid: number, signal: number) =>
    requestJson<void>('POST', `/v1/sandboxes/${enc(id)}/processes/${pid}/signal`, {
      json: { signal },
    }),
  checkpoints: async (id: string) =>
    (
      await requestJson<{ checkpoints: Checkpoint[] }>(
        'GET',
        `/v1/sandboxes/${enc(id)}/checkpoints`,
      )
    ).checkpoints,
  createCheckpoint: (id: string, name: string | null) =>
    requestJson<Checkpoint>('POST', `/v1/sandboxes/${enc(id)}/checkpoints`, {
      json: name ? { name } : {},
    }),
  restoreCheckpoint: (id: string, checkpointId: string) =>
    requestJson<Sandbox>(
      'POST',
      `/v1/sandboxes/${enc(id)}/checkpoints/${enc(checkpointId)}/restore`,
    ),
  deleteCheckpoint: (id: string, checkpointId: string) =>
    requestJson<void>('DELETE', `/v1/sandboxes/${enc(id)}/checkpoints/${enc(checkpointId)}`),
  port: (id: string, port: number) =>
    requestJson<{ host: string; port: number; url: string }>(
      'GET',
      `/v1/sandboxes/${enc(id)}/ports/${port}`,
    ),
  proxyToken: (id: string, port: number) =>
    requestJson<{ token: string; url: string; expires_at: string }>(
      'POST',
      `/v1/sandboxes/${enc(id)}/ports/${port}/proxy-token`,
    ),
  ptyToken: (id: string) =>
    requestJson<{ token: string; expires_at: string }>(
      'POST',
      `/v1/sandboxes/${enc(id)}/pty/tokens`,
    ),
}
