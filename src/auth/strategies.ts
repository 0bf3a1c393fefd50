import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { HttpRequest as Request } from '../common/http';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy as JwtPassportStrategy } from 'passport-jwt';
import { Strategy as LocalPassportStrategy } from 'passport-local';
import { accountDecider, accountIdForLogin, AccountState, accountStream, normalizeLogin } from '../accounts/domain/account.decider';
import { AppError } from '../common/app-error';
import { CLOCK, Clock } from '../common/clock';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { CredentialVault } from './credential-vault';
import { LoginThrottle } from './login-throttle';
import { Principal, TokenClaims } from './principal';
import { SIGNING_KEY } from './service-keys';
import { VerifiedTokens } from './verified-tokens';

export const TOKEN_TTL_SECONDS = 3600;

/** A GET (or HEAD) without `atLeast`: the only requests that may use a known-fresh cached state. */
export const isPlainRead = (request: Request): boolean => (request.method === 'GET' || request.method === 'HEAD') && request.query?.atLeast === undefined;

/** passport-jwt's own extractor (so the cache and passport agree on the token); typed for Express, it reads only headers. */
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken() as unknown as (request: Request) => string | null;

export const principalOf = (account: AccountState): Principal => ({
  accountId: account.accountId,
  schoolId: account.schoolId,
  login: account.login,
  fullName: account.fullName,
  roles: account.roles,
  generation: account.generation,
});

/**
 * Every request checks the token against the account's current state: a token of a blocked
 * account, or of an older credential generation, is dead at once, not at expiry. Writes (and
 * reads with `atLeast`) catch the account up from its stream's tail; other reads use the cached
 * state while it is known fresh (`EventSourcedRepository.read`): a block or reissue made by this
 * process at once, by another within the freshness window (docs/architecture.md).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(JwtPassportStrategy, 'jwt') {
  /** Tokens passport-jwt has verified; TokenGuard answers from it without passport. */
  readonly verified = new VerifiedTokens();

  constructor(
    @Inject(SIGNING_KEY) signingKey: Buffer,
    private readonly repository: EventSourcedRepository,
  ) {
    // A KeyObject: given a string, jsonwebtoken tries (and fails) to parse it as a public key on every
    // verify — 16% of the server's CPU in a profile of GET /auth/me. (The typings say string; jsonwebtoken takes a KeyObject.)
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: createSecretKey(signingKey) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      passReqToCallback: true,
    });
  }

  /** Called by passport-jwt once the token's signature and expiry are good. */
  async validate(request: Request, claims: TokenClaims): Promise<Principal | false> {
    const token = bearerToken(request);
    if (token) this.verified.remember(token, claims);
    return this.principalFor(request, claims);
  }

  /** A token verified before, if it is one and has not expired: its claims, without passport. */
  verifiedClaims(request: Request): TokenClaims | undefined {
    const token = bearerToken(request);
    return token ? this.verified.claimsOf(token, Math.floor(Date.now() / 1000)) : undefined;
  }

  /** The account behind verified claims, if it may still act: active, same credential generation. */
  async principalFor(request: Request, claims: TokenClaims): Promise<Principal | false> {
    if (typeof claims?.sub !== 'string' || typeof claims.gen !== 'number') return false;
    const stream = accountStream(claims.sub);
    const { state } = isPlainRead(request) ? await this.repository.read(stream, accountDecider) : await this.repository.load(stream, accountDecider);
    if (!state.exists || state.status !== 'active' || state.generation !== claims.gen) return false;
    return principalOf(state);
  }
}

const wrongCredentials = () => new AppError(401, 'INVALID_CREDENTIALS', 'The login or the password is wrong.');

/** POST /auth/login: checks the password, keeping count of wrong ones (see LoginThrottle). */
@Injectable()
export class LocalStrategy extends PassportStrategy(LocalPassportStrategy, 'local') {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly vault: CredentialVault,
    private readonly throttle: LoginThrottle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super({ usernameField: 'login', passwordField: 'password', passReqToCallback: true, session: false });
  }

  async validate(request: Request, login: string, password: string): Promise<Principal> {
    const key = normalizeLogin(login);
    // Fastify's `ip`: the peer, or with TRUST_PROXY the client the trusted proxies name in X-Forwarded-For.
    const address = request.ip ?? 'unknown';
    // The attempt is counted as it is checked (see LoginThrottle): it stays counted only if the password is wrong.
    const admission = await this.throttle.admit(key, address, () => this.clock.now().getTime());
    if (!admission.admitted) {
      throw new AppError(429, 'TOO_MANY_REQUESTS', 'Too many wrong passwords. Wait a minute and try again.', [], { 'Retry-After': String(admission.retryAfterSeconds) });
    }
    let wrongPassword = false;
    try {
      const { state: found } = await this.repository.load(accountStream(accountIdForLogin(key)), accountDecider);
      // An erased account (its personal data gone, src/privacy) answers as a login that never existed.
      const state = found.erased ? accountDecider.initialState() : found;
      // A blocked account is refused whatever the password, and its attempts do not count (API.md).
      if (state.exists && state.status === 'blocked') {
        const why = state.blockedBecause === 'void-operation' ? 'it was created or changed through an account whose credentials leaked' : 'of a credential-compromise report';
        throw new AppError(403, 'ACCOUNT_BLOCKED', `This account is blocked because ${why}. Ask the system administrator for new credentials.`);
      }
      const valid = state.exists ? await this.vault.verify(state.accountId, state.credentialId, password) : (await this.vault.burnTime(password), false);
      if (!valid) {
        wrongPassword = true;
        throw wrongCredentials();
      }
      return principalOf(state);
    } finally {
      await (wrongPassword ? this.throttle.failed(admission.ticket) : this.throttle.giveBack(admission.ticket));
    }
  }
}
