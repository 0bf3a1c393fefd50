import { VerifiedTokens } from './verified-tokens';

const claims = (exp?: number) => ({ sub: 'a', sch: null, roles: [], gen: 1, exp });

describe('VerifiedTokens', () => {
  it('given a remembered token, when asked before its expiry, then it answers its claims', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', claims(100));
    expect(tokens.claimsOf('t', 99)).toEqual(claims(100));
  });

  it('given a remembered token, when asked at or after its expiry second, then it forgets it', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', claims(100));
    expect(tokens.claimsOf('t', 100)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('given a token never remembered, then it knows nothing of it', () => {
    expect(new VerifiedTokens().claimsOf('t', 0)).toBeUndefined();
  });

  it('given a token without an expiry, then it is never kept', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', claims(undefined));
    expect(tokens.claimsOf('t', 0)).toBeUndefined();
  });

  it('given a full cache, when another token comes, then the oldest goes', () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember('a', claims(100));
    tokens.remember('b', claims(100));
    tokens.remember('c', claims(100));
    expect([tokens.claimsOf('a', 0), tokens.claimsOf('b', 0), tokens.claimsOf('c', 0)].map(Boolean)).toEqual([false, true, true]);
  });
});
