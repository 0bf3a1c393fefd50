import type { TokenClaims } from './principal';

/** Claims as they come out of a verified token: `exp` is seconds since the epoch (RFC 7519). */
export type VerifiedClaims = TokenClaims & { exp?: number };

/**
 * Tokens whose signature and expiry passport-jwt has already checked, kept until they expire, so
 * a client's next requests skip the JWS parse and HMAC: they were 13% of a diary read's CPU. Only
 * the token's own checks are saved; the account's state (blocked, credential generation) is still
 * read on every request by JwtStrategy.validate. Bounded: the oldest entry goes first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedClaims>();

  constructor(private readonly capacity = 10_000) {}

  /** The claims of a token verified before and not yet expired at `nowSeconds`. */
  claimsOf(token: string, nowSeconds: number): VerifiedClaims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    // jsonwebtoken's rule: a token is expired from the second `exp` on.
    if (typeof claims.exp !== 'number' || nowSeconds >= claims.exp) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  remember(token: string, claims: VerifiedClaims): void {
    if (typeof claims.exp !== 'number' || this.entries.has(token)) return;
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
