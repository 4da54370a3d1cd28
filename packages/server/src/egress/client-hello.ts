/*
 * The server name (SNI) of a TLS ClientHello, read without terminating TLS:
 * the gateway decides on it, then splices the bytes through unchanged.
 */

/** Largest ClientHello the gateway waits for (one TLS record and its header). */
export const MAX_HELLO_BYTES = 16384 + 5

/**
 * `needed`: the bytes so far are the start of a ClientHello that is not
 * complete yet; `invalid`: they are no ClientHello; otherwise the server
 * name, or null when the hello has none.
 */
export function serverName(data: Buffer): string | null | 'needed' | 'invalid' {
  if (data.length < 5) return 'needed'
  if (data[0] !== 0x16) return 'invalid'
  const recordLength = data.readUInt16BE(3)
  if (data.length < 5 + recordLength) return data.length >= MAX_HELLO_BYTES ? 'invalid' : 'needed'
  const hello = data.subarray(5, 5 + recordLength)
  try {
    return readServerName(hello)
  } catch {
    return 'invalid'
  }
}

function readServerName(hello: Buffer): string | null {
  if (hello[0] !== 0x01) throw new Error('not a ClientHello')
  let offset = 4 + 2 + 32 // handshake header, version, random
  offset += 1 + hello.readUInt8(offset) // session id
  offset += 2 + hello.readUInt16BE(offset) // cipher suites
  offset += 1 + hello.readUInt8(offset) // compression methods
  if (offset + 2 > hello.length) return null
  const end = offset + 2 + hello.readUInt16BE(offset)
  offset += 2
  while (offset + 4 <= end) {
    const type = hello.readUInt16BE(offset)
    const length = hello.readUInt16BE(offset + 2)
    offset += 4
    if (type === 0) {
      // server_name: list length, then entries of (type, length, name); type 0 is a host name.
      let entry = offset + 2
      while (entry + 3 <= offset + length) {
        const nameLength = hello.readUInt16BE(entry + 1)
        if (hello[entry] === 0) return hello.toString('latin1', entry + 3, entry + 3 + nameLength)
        entry += 3 + nameLength
      }
      return null
    }
    offset += length
  }
  return null
}
