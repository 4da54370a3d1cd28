/**
 * A tiny NFSv3 client speaking ONC RPC over TCP, for security tests that
 * need single protocol operations libnfs does not expose (a LOOKUP of "..",
 * a LOOKUP through a symlink, a READ of a symlink's handle, a forged handle):
 * libnfs resolves paths and symlinks on the client side, which would hide
 * what the server does. Connects from a privileged port (the exports demand
 * one), so it needs root. Only what the tests use is implemented.
 */
import net from 'node:net'

const MOUNT_PROGRAM = 100005
const NFS_PROGRAM = 100003

export const NFS3_OK = 0

/** NFSv3 status names, for assertion messages. */
export const NFS3_STATUS: Record<number, string> = {
  0: 'NFS3_OK',
  1: 'NFS3ERR_PERM',
  2: 'NFS3ERR_NOENT',
  5: 'NFS3ERR_IO',
  13: 'NFS3ERR_ACCES',
  17: 'NFS3ERR_EXIST',
  20: 'NFS3ERR_NOTDIR',
  21: 'NFS3ERR_ISDIR',
  22: 'NFS3ERR_INVAL',
  70: 'NFS3ERR_STALE',
  10001: 'NFS3ERR_BADHANDLE',
  10004: 'NFS3ERR_NOTSUPP',
  10006: 'NFS3ERR_SERVERFAULT',
  10007: 'NFS3ERR_BADTYPE',
}

/** File types of fattr3. */
export const NF3REG = 1
export const NF3DIR = 2
export const NF3LNK = 5

class XdrWriter {
  readonly #chunks: Buffer[] = []
  u32(value: number): this {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(value >>> 0)
    this.#chunks.push(b)
    return this
  }
  u64(value: bigint): this {
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(value)
    this.#chunks.push(b)
    return this
  }
  opaque(data: Buffer): this {
    this.u32(data.length)
    this.#chunks.push(data)
    const pad = (4 - (data.length % 4)) % 4
    if (pad) this.#chunks.push(Buffer.alloc(pad))
    return this
  }
  string(value: string): this {
    return this.opaque(Buffer.from(value, 'utf8'))
  }
  /** Fixed-length opaque: the bytes alone (a multiple of 4 here). */
  fixed(data: Buffer): this {
    this.#chunks.push(data)
    return this
  }
  buffer(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}

class XdrReader {
  #offset = 0
  constructor(readonly data: Buffer) {}
  u32(): number {
    const v = this.data.readUInt32BE(this.#offset)
    this.#offset += 4
    return v
  }
  u64(): bigint {
    const v = this.data.readBigUInt64BE(this.#offset)
    this.#offset += 8
    return v
  }
  opaque(): Buffer {
    const length = this.u32()
    const v = this.data.subarray(this.#offset, this.#offset + length)
    this.#offset += length + ((4 - (length % 4)) % 4)
    return v
  }
  string(): string {
    return this.opaque().toString('utf8')
  }
  skip(bytes: number): void {
    this.#offset += bytes
  }
}

/** The parts of fattr3 the tests look at. */
export interface Attributes {
  type: number
  mode: number
  size: bigint
  fileid: bigint
}

function readFattr(r: XdrReader): Attributes {
  const type = r.u32()
  const mode = r.u32()
  r.skip(12) // nlink, uid, gid
  const size = r.u64()
  r.skip(8 + 8 + 8) // used, rdev, fsid
  const fileid = r.u64()
  r.skip(24) // atime, mtime, ctime
  return { type, mode, size, fileid }
}

function readPostOpAttr(r: XdrReader): Attributes | undefined {
  return r.u32() ? readFattr(r) : undefined
}

/** One RPC connection from a privileged local port. */
class RpcConnection {
  readonly #socket: net.Socket
  #xid = Math.floor(Math.random() * 0x7fffffff)
  #buffer = Buffer.alloc(0)
  #fragments: Buffer[] = []
  readonly #pending = new Map<
    number,
    { resolve: (r: XdrReader) => void; reject: (e: Error) => void }
  >()

  private constructor(socket: net.Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (error) => this.#failAll(error))
    socket.on('close', () => this.#failAll(new Error('connection closed')))
  }

  static async open(host: string, port: number, privileged = true): Promise<RpcConnection> {
    let lastError: unknown
    for (let attempt = 0; attempt < 50; attempt++) {
      const localPort = privileged ? 600 + Math.floor(Math.random() * 420) : undefined
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port, localPort })
          s.once('connect', () => resolve(s))
          s.once('error', reject)
        })
        return new RpcConnection(socket)
      } catch (error) {
        lastError = error
      }
    }
    throw new Error(`no privileged local port to connect from: ${String(lastError)}`)
  }

  call(program: number, version: number, procedure: number, args: Buffer): Promise<XdrReader> {
    const xid = ++this.#xid
    const header = new XdrWriter()
      .u32(xid)
      .u32(0) // CALL
      .u32(2) // RPC version
      .u32(program)
      .u32(version)
      .u32(procedure)
    // AUTH_SYS credential as root; the exports squash every user anyway.
    const cred = new XdrWriter().u32(0).string('wm-test').u32(0).u32(0).u32(0).buffer()
    header.u32(1).opaque(cred).u32(0).opaque(Buffer.alloc(0))
    const body = Buffer.concat([header.buffer(), args])
    const mark = Buffer.alloc(4)
    mark.writeUInt32BE((0x80000000 | body.length) >>> 0)
    return new Promise((resolve, reject) => {
      this.#pending.set(xid, { resolve, reject })
      this.#socket.write(Buffer.concat([mark, body]))
    })
  }

  close(): void {
    this.#socket.destroy()
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error)
    this.#pending.clear()
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    while (this.#buffer.length >= 4) {
      const mark = this.#buffer.readUInt32BE(0)
      const length = mark & 0x7fffffff
      if (this.#buffer.length < 4 + length) return
      this.#fragments.push(this.#buffer.subarray(4, 4 + length))
      this.#buffer = this.#buffer.subarray(4 + length)
      if (mark & 0x80000000) {
        const record = Buffer.concat(this.#fragments)
        this.#fragments = []
        this.#onRecord(new XdrReader(record))
      }
    }
  }

  #onRecord(r: XdrReader): void {
    const xid = r.u32()
    const pending = this.#pending.get(xid)
    if (!pending) return
    this.#pending.delete(xid)
    r.u32() // REPLY
    if (r.u32() !== 0) {
      pending.reject(new Error('RPC call denied'))
      return
    }
    r.u32() // verifier flavor
    r.opaque()
    const acceptStat = r.u32()
    if (acceptStat !== 0) pending.reject(new Error(`RPC call not accepted (${acceptStat})`))
    else pending.resolve(r)
  }
}

export interface LookupResult {
  status: number
  handle?: Buffer
  attributes?: Attributes
}

/** An NFSv3 session to one server: MOUNT for root handles, then NFS procedures. */
export class Nfs3Client {
  readonly #nfs: RpcConnection
  readonly #mount: RpcConnection

  private constructor(nfs: RpcConnection, mount: RpcConnection) {
    this.#nfs = nfs
    this.#mount = mount
  }

  /** Connects from privileged local ports unless `privileged` is false. */
  static async connect(
    host: string,
    port: number,
    mountPort: number,
    privileged = true,
  ): Promise<Nfs3Client> {
    const nfs = await RpcConnection.open(host, port, privileged)
    const mount = await RpcConnection.open(host, mountPort, privileged).catch((error: unknown) => {
      nfs.close()
      throw error
    })
    return new Nfs3Client(nfs, mount)
  }

  close(): void {
    this.#nfs.close()
    this.#mount.close()
  }

  /** MOUNT3 MNT: the root handle of an export path, or the mount status. */
  async mount(exportPath: string): Promise<{ status: number; handle?: Buffer }> {
    const r = await this.#mount.call(
      MOUNT_PROGRAM,
      3,
      1,
      new XdrWriter().string(exportPath).buffer(),
    )
    const status = r.u32()
    return status === 0 ? { status, handle: Buffer.from(r.opaque()) } : { status }
  }

  async getattr(handle: Buffer): Promise<{ status: number; attributes?: Attributes }> {
    const r = await this.#nfs.call(NFS_PROGRAM, 3, 1, new XdrWriter().opaque(handle).buffer())
    const status = r.u32()
    return status === NFS3_OK ? { status, attributes: readFattr(r) } : { status }
  }

  async lookup(dir: Buffer, name: string): Promise<LookupResult> {
    const args = new XdrWriter().opaque(dir).string(name).buffer()
    const r = await this.#nfs.call(NFS_PROGRAM, 3, 3, args)
    const status = r.u32()
    if (status !== NFS3_OK) return { status }
    const handle = Buffer.from(r.opaque())
    return { status, handle, attributes: readPostOpAttr(r) }
  }

  async readlink(handle: Buffer): Promise<{ status: number; target?: string }> {
    const r = await this.#nfs.call(NFS_PROGRAM, 3, 5, new XdrWriter().opaque(handle).buffer())
    const status = r.u32()
    readPostOpAttr(r)
    return status === NFS3_OK ? { status, target: r.string() } : { status }
  }

  async read(handle: Buffer, count = 4096): Promise<{ status: number; data?: Buffer }> {
    const args = new XdrWriter().opaque(handle).u64(0n).u32(count).buffer()
    const r = await this.#nfs.call(NFS_PROGRAM, 3, 6, args)
    const status = r.u32()
    readPostOpAttr(r)
    if (status !== NFS3_OK) return { status }
    r.u32() // count
    r.u32() // eof
    return { status, data: Buffer.from(r.opaque()) }
  }

  /** READDIR, first batch only (enough for the small directories of the tests). */
  async readdir(handle: Buffer): Promise<{ status: number; names?: string[] }> {
    const args = new XdrWriter().opaque(handle).u64(0n).fixed(Buffer.alloc(8)).u32(65536).buffer()
    const r = await this.#nfs.call(NFS_PROGRAM, 3, 16, args)
    const status = r.u32()
    readPostOpAttr(r)
    if (status !== NFS3_OK) return { status }
    r.skip(8) // cookie verifier
    const names: string[] = []
    while (r.u32()) {
      r.u64() // fileid
      names.push(r.string())
      r.u64() // cookie
    }
    return { status, names }
  }
}
