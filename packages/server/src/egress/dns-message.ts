/*
 * Just enough of the DNS wire format (RFC 1035) for the gateway's resolver:
 * read the one question of a query, answer it with an A record or a bare
 * status. Anything it cannot read is answered FORMERR or dropped.
 */

/** Query types the gateway tells apart. */
export const QTYPE = { A: 1, AAAA: 28, ANY: 255 } as const

/** Response codes the gateway gives. */
export const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, REFUSED: 5 } as const

/** The one question of a query, and what the answer copies from it. */
export interface DnsQuestion {
  id: number
  /** The query's flags (opcode and RD are echoed). */
  flags: number
  name: string
  type: number
  /** The question's bytes as they came (echoed in the answer). */
  question: Buffer
}

/** Reads a query with exactly one question; undefined for anything else (a response, a mangled packet). */
export function parseQuery(packet: Buffer): DnsQuestion | undefined {
  if (packet.length < 12) return undefined
  const flags = packet.readUInt16BE(2)
  if (flags & 0x8000 || packet.readUInt16BE(4) !== 1) return undefined
  const labels: string[] = []
  let offset = 12
  for (;;) {
    const length = packet[offset]
    if (length === undefined || length > 63) return undefined
    offset += 1
    if (length === 0) break
    if (offset + length > packet.length) return undefined
    labels.push(packet.toString('latin1', offset, offset + length))
    offset += length
  }
  if (offset + 4 > packet.length) return undefined
  const type = packet.readUInt16BE(offset)
  return {
    id: packet.readUInt16BE(0),
    flags,
    name: labels.join('.').toLowerCase(),
    type,
    question: packet.subarray(12, offset + 4),
  }
}

/**
 * The answer to `query`: `rcode`, and an A record of `address` (IPv4,
 * `ttlSeconds`) when given.
 */
export function answer(
  query: DnsQuestion,
  rcode: number,
  address?: string,
  ttlSeconds = 1,
): Buffer {
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.id, 0)
  // QR, the query's opcode and RD, RA, and the response code.
  header.writeUInt16BE(0x8000 | (query.flags & 0x7900) | 0x0080 | rcode, 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(address ? 1 : 0, 6)
  if (!address) return Buffer.concat([header, query.question])
  const record = Buffer.alloc(16)
  record.writeUInt16BE(0xc00c, 0) // the name: a pointer to the question's
  record.writeUInt16BE(QTYPE.A, 2)
  record.writeUInt16BE(1, 4) // class IN
  record.writeUInt32BE(ttlSeconds, 6)
  record.writeUInt16BE(4, 10)
  address.split('.').forEach((part, index) => record.writeUInt8(Number(part), 12 + index))
  return Buffer.concat([header, query.question, record])
}
