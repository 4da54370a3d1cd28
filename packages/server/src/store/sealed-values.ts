import fs from 'node:fs'
import path from 'node:path'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const PREFIX = 'sealed:v1:'
const KEY_BYTES = 32
const IV_BYTES = 12
/** Opened values remembered; beyond it the oldest is forgotten. */
const OPENED_KEPT = 4096

/**
 * Seals secrets kept in the store (a sandbox's environment, which carries
 * credentials such as SPLUNK_PASSWORD, and its agent token) with
 * AES-256-GCM, so that a copy of the database alone (a backup, a file left
 * on a shared disk) gives none of them away. The key lives in its own file
 * beside the database (see `loadOrCreateKey`); whoever has both has the
 * secrets, as the server itself must.
 */
export class ValueSealer {
  readonly #key: Buffer
  /**
   * Plain texts by sealed text. Every read of a sandbox opens its token and
   * environment, and a GET is mostly that; a sealed text (random IV) names
   * one plain text for good, so remembering it is exact. The server holds
   * these secrets in memory whenever it uses them anyway.
   */
  readonly #opened = new Map<string, string>()

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a sealing key is ${KEY_BYTES} bytes`)
    this.#key = key
  }

  /** `sealed:v1:<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    const parts = [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url'))
    return PREFIX + parts.join('.')
  }

  /** The plain text of a sealed value; a value stored before sealing existed is returned as it is. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored
    const known = this.#opened.get(stored)
    if (known !== undefined) return known
    const plain = this.#decrypt(stored)
    if (this.#opened.size >= OPENED_KEPT) {
      this.#opened.delete(this.#opened.keys().next().value as string)
    }
    this.#opened.set(stored, plain)
    return plain
  }

  #decrypt(stored: string): string {
    const [iv, tag, sealed] = stored
      .slice(PREFIX.length)
      .split('.')
      .map((part) => Buffer.from(part, 'base64url'))
    if (!iv || !tag || !sealed) throw new Error('a sealed value in the store is malformed')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv)
    decipher.setAuthTag(tag)
    try {
      return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8')
    } catch {
      throw new Error(
        'a sealed value in the store does not open with this key: the key file is not the one the database was written with',
      )
    }
  }
}

/**
 * The sealing key at `file`, created (32 random bytes, mode 0600) when
 * missing. A key file others can read, or of the wrong size, is refused:
 * the server would rather not start than seal with a key anyone can read.
 */
export function loadOrCreateKey(file: string): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  try {
    fs.writeFileSync(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const stat = fs.statSync(file)
  if (stat.mode & 0o077) {
    throw new Error(
      `${file} can be read by others (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it`,
    )
  }
  const key = fs.readFileSync(file)
  if (key.length !== KEY_BYTES) {
    throw new Error(`${file} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key`)
  }
  return key
}
