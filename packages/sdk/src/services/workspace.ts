/** `client.workspace`: workspaces and the files inside them. */
import type { Readable } from 'node:stream'
import type {
  FileInfo as WireFileInfo,
  FileList as WireFileList,
  Workspace as WireWorkspace,
  WorkspaceList as WireWorkspaceList,
} from '@workspace-manager/protocol'
import { FileNotFoundError, transferTooLargeError } from '../errors.js'
import type { UploadContent } from '../request-body.js'
import { collectBody, guardBody } from '../response-body.js'
import type { OpenResponse, Transport } from '../transport.js'
import type {
  CallOptions,
  CreateWorkspaceParams,
  DeleteFileOptions,
  FileInfo,
  MkdirOptions,
  TransferOptions,
  UpdateWorkspaceParams,
  Workspace,
  WriteFileOptions,
} from '../types.js'
import { openLocalFile, writeFileAtomically } from './local-files.js'

function workspaceUrl(id: string, suffix = ''): string {
  return `/v1/workspaces/${encodeURIComponent(id)}${suffix}`
}

/** The per-call fields of a request, and nothing else a caller's object may carry. */
function callFields(options: CallOptions): CallOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs }
}

/** Workspace and file operations. Reached as `client.workspace`. */
export class WorkspaceService {
  readonly #transport: Transport

  /** Built by {@link WorkspaceClient}; not meant to be constructed directly. */
  constructor(transport: Transport) {
    this.#transport = transport
  }

  /** Creates a workspace. */
  async create(params: CreateWorkspaceParams = {}, options: CallOptions = {}): Promise<Workspace> {
    const json = { name: params.name, metadata: params.metadata, quotaBytes: params.quotaBytes }
    const request = { method: 'POST', path: '/v1/workspaces', json } as const
    return this.#transport.json<WireWorkspace>({ ...request, ...callFields(options) })
  }

  /** Changes a workspace's disk quota (`quotaBytes: null` lifts it); resolves the workspace. */
  async update(
    id: string,
    params: UpdateWorkspaceParams,
    options: CallOptions = {},
  ): Promise<Workspace> {
    const json = { quotaBytes: params.quotaBytes }
    const request = { method: 'PATCH', path: workspaceUrl(id), json } as const
    return this.#transport.json<WireWorkspace>({ ...request, ...callFields(options) })
  }

  /** Gets a workspace by id; throws `WorkspaceNotFoundError` when it does not exist. */
  async get(id: string, options: CallOptions = {}): Promise<Workspace> {
    const request = { method: 'GET', path: workspaceUrl(id) } as const
    return this.#transport.json<WireWorkspace>({ ...request, ...callFields(options) })
  }

  /** Lists every workspace, oldest first. */
  async list(options: CallOptions = {}): Promise<Workspace[]> {
    const request = { method: 'GET', path: '/v1/workspaces' } as const
    const reply = await this.#transport.json<WireWorkspaceList>({
      ...request,
      ...callFields(options),
    })
    return reply.workspaces
  }

  /** Deletes a workspace and its files; fails with code 7002 while sandboxes use it. */
  async delete(id: string, options: CallOptions = {}): Promise<void> {
    const request = { method: 'DELETE', path: workspaceUrl(id) } as const
    await this.#transport.call({ ...request, ...callFields(options) })
  }

  /**
   * Writes a file, replacing it atomically. Text is sent as UTF-8; streams and
   * async iterables are streamed. Missing parents are created unless `parents` is false.
   */
  async writeFile(
    id: string,
    path: string,
    content: UploadContent,
    options: WriteFileOptions = {},
  ): Promise<FileInfo> {
    return this.#upload(id, path, content, undefined, options)
  }

  /** Uploads a local file (streamed, size checked before sending). */
  async uploadFile(
    id: string,
    path: string,
    localPath: string,
    options: WriteFileOptions = {},
  ): Promise<FileInfo> {
    const cap = this.#transport.config.maxFileTransferBytes
    const local = await openLocalFile(localPath, cap)
    return this.#upload(id, path, local.stream, local.length, options)
  }

  /** Reads a file as UTF-8 text. */
  async readFile(id: string, path: string, options: CallOptions = {}): Promise<string> {
    return (await this.#readWhole(id, path, options)).toString('utf8')
  }

  /** Reads a file as bytes. */
  async readFileBytes(id: string, path: string, options: CallOptions = {}): Promise<Uint8Array> {
    const buffer = await this.#readWhole(id, path, options)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }

  /**
   * Opens a file for streaming. The returned stream errors if the file exceeds
   * the transfer cap. The timeout covers the wait for the reply to start;
   * pass `signal` to bound the whole read.
   */
  async readFileStream(id: string, path: string, options: CallOptions = {}): Promise<Readable> {
    const response = await this.#download(id, path, options)
    response.exchange.stopTimer()
    return guardBody(response.body, response.exchange, this.#transport.config.maxFileTransferBytes)
  }

  /**
   * Downloads a file to `localPath`: streamed to a temporary file that is
   * renamed into place when complete, so nothing partial is left on failure.
   * Resolves to the number of bytes written.
   */
  async downloadFile(
    id: string,
    path: string,
    localPath: string,
    options: CallOptions = {},
  ): Promise<number> {
    const response = await this.#download(id, path, options)
    const cap = this.#transport.config.maxFileTransferBytes
    return writeFileAtomically(guardBody(response.body, response.exchange, cap), localPath)
  }

  /** Lists one directory level, sorted by name; `''` is the workspace root. */
  async listFiles(id: string, path = '', options: CallOptions = {}): Promise<FileInfo[]> {
    const request = { method: 'GET', path: workspaceUrl(id, '/files'), query: { path } } as const
    const reply = await this.#transport.json<WireFileList>({ ...request, ...callFields(options) })
    return reply.files
  }

  /** Creates a directory; with `parents`, missing parents too and an existing directory is fine. */
  async mkdir(id: string, path: string, options: MkdirOptions = {}): Promise<FileInfo> {
    const json = { path, parents: options.parents ?? false }
    return this.#post(id, '/files/mkdir', json, options)
  }

  /** Copies a file or directory (recursively); refuses an existing destination unless `overwrite`. */
  async copyFile(
    id: string,
    source: string,
    destination: string,
    options: TransferOptions = {},
  ): Promise<FileInfo> {
    const json = { source, destination, overwrite: options.overwrite ?? false }
    return this.#post(id, '/files/copy', json, options)
  }

  /** Moves or renames a file or directory; refuses an existing destination unless `overwrite`. */
  async moveFile(
    id: string,
    source: string,
    destination: string,
    options: TransferOptions = {},
  ): Promise<FileInfo> {
    const json = { source, destination, overwrite: options.overwrite ?? false }
    return this.#post(id, '/files/move', json, options)
  }

  /** Deletes a file or empty directory; with `recursive`, a directory and everything in it. */
  async deleteFile(id: string, path: string, options: DeleteFileOptions = {}): Promise<void> {
    const query = { path, recursive: options.recursive ?? false }
    const request = { method: 'DELETE', path: workspaceUrl(id, '/files'), query } as const
    await this.#transport.call({ ...request, ...callFields(options) })
  }

  /** Describes one path without following symlinks. */
  async getFileInfo(id: string, path: string, options: CallOptions = {}): Promise<FileInfo> {
    const request = {
      method: 'GET',
      path: workspaceUrl(id, '/files/info'),
      query: { path },
    } as const
    return this.#transport.json<WireFileInfo>({ ...request, ...callFields(options) })
  }

  /** True when the path exists; `false` on code 5001 (other errors, e.g. a missing workspace, still throw). */
  async exists(id: string, path: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.getFileInfo(id, path, options)
      return true
    } catch (error) {
      if (error instanceof FileNotFoundError) return false
      throw error
    }
  }

  async #post(id: string, suffix: string, json: unknown, options: CallOptions): Promise<FileInfo> {
    const path = workspaceUrl(id, suffix)
    return this.#transport.json<WireFileInfo>({
      method: 'POST',
      path,
      json,
      ...callFields(options),
    })
  }

  async #upload(
    id: string,
    path: string,
    content: UploadContent,
    length: number | undefined,
    options: WriteFileOptions,
  ): Promise<FileInfo> {
    const config = this.#transport.config
    return this.#transport.json<WireFileInfo>({
      method: 'PUT',
      path: workspaceUrl(id, '/files/content'),
      query: { path, parents: options.parents ?? true },
      body: content,
      bodyLength: length,
      bodyLimitBytes: config.maxFileTransferBytes,
      timeoutMs: options.timeoutMs ?? config.fileTimeoutMs,
      signal: options.signal,
    })
  }

  async #download(id: string, path: string, options: CallOptions): Promise<OpenResponse> {
    const config = this.#transport.config
    const response = await this.#transport.open({
      method: 'GET',
      path: workspaceUrl(id, '/files/content'),
      query: { path },
      timeoutMs: options.timeoutMs ?? config.fileTimeoutMs,
      signal: options.signal,
    })
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > config.maxFileTransferBytes) {
      response.body.destroy()
      response.exchange.finish()
      throw transferTooLargeError(config.maxFileTransferBytes, `${path} (${declared} bytes)`)
    }
    return response
  }

  async #readWhole(id: string, path: string, options: CallOptions): Promise<Buffer> {
    const response = await this.#download(id, path, options)
    const cap = this.#transport.config.maxFileTransferBytes
    return collectBody(response.body, response.exchange, cap)
  }
}
