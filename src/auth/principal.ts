import type { Role } from '../accounts/domain/roles';

/** The signed-in account, as every request handler sees it. */
export interface Principal {
  readonly accountId: string;
  readonly schoolId: string | null;
  readonly login: string;
  readonly fullName: string;
  readonly roles: readonly Role[];
  readonly generation: number;
}

/** What a JWT carries: enough to find the account and to tell a token of an old generation. */
export interface TokenClaims {
  sub: string;
  sch: string | null;
  roles: Role[];
  gen: number;
}
