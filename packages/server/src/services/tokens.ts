import { createHmac, timingSafeEqual } from 'node:crypto'
import { ApiError } from '../errors.js'

/** What a token grants: one operation on one subject (and path), until `exp`. */
export interface TokenClaims {
  /** The resource the token is for: a sandbox or workspace id. */
  sub: string
  /** The operation, e.g. `pty`, `upload`, `download`. */
  op: string
  /** Workspace path, for file tokens. */
  path?: string
  /** Expiry, seconds since the epoch. */
  exp: number
}

const PREFIX = 'wm1'

/**
 * Short-lived HMAC-SHA256 tokens (`wm1.<claims>.<mac>`, base64url), signed with
 * WORKSPACE_UPLOAD_TOKEN_SECRET. A token is only good for the subject,
 * operation and path it was minted for.
 */
export class TokenSigner {
  readonly #secret: string

  constructor(secret: string) {
    this.#secret = secret
  }

  /** Mints a token for `claims`. */
  sign(claims: TokenClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
    return `${PREFIX}.${body}.${this.#mac(body).toString('base64url')}`
  }

  /**
   * Checks a token against what the request wants to do: 401 code 6001 when
   * it is malformed, forged or for something else; 410 code 6002 when expired.
   */
  verify(token: string, expected: Omit<TokenClaims, 'exp'>, now = Date.now()): TokenClaims {
    const [prefix, body, mac] = token.split('.')
    if (prefix !== PREFIX || !body || !mac) throw new ApiError('TOKEN_INVALID', 'malformed token')
    const offered = Buffer.from(mac, 'base64url')
    const wanted = this.#mac(body)
    if (offered.length !== wanted.length || !timingSafeEqual(offered, wanted)) {
      throw new ApiError('TOKEN_INVALID', 'token signature does not match')
    }
    let claims: TokenClaims
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims
    } catch {
      throw new ApiError('TOKEN_INVALID', 'malformed token')
    }
    if (claims.sub !== expected.sub || claims.op !== expected.op || claims.path !== expected.path) {
      throw new ApiError('TOKEN_INVALID', 'token is not valid for this resource or operation')
    }
    if (!(claims.exp * 1000 > now)) throw new ApiError('TOKEN_EXPIRED', 'token has expired')
    return claims
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${PREFIX}.${body}`).digest()
  }
}
