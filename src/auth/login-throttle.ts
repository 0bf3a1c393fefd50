/**
 * Wrong passwords are limited (API.md): 5 per login and 50 per client address in any minute.
 * While a key is over its limit every attempt is refused, the right password too. Only wrong
 * passwords count. Kept in memory: a restart or a second instance starts its own count.
 */
export const LOGIN_LIMITS = { perLogin: 5, perAddress: 50, windowMs: 60_000 };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  /** Seconds until attempts are accepted again, or 0 if they are accepted now. */
  retryAfter(login: string, address: string, now: number): number {
    const waits = [this.wait(`login:${login}`, LOGIN_LIMITS.perLogin, now), this.wait(`address:${address}`, LOGIN_LIMITS.perAddress, now)];
    return Math.max(...waits);
  }

  recordFailure(login: string, address: string, now: number): void {
    for (const key of [`login:${login}`, `address:${address}`]) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.set(key, recent);
    }
    if (this.failures.size > 100_000) this.sweep(now);
  }

  private wait(key: string, limit: number, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < limit) return 0;
    // Refused until the failure that filled the limit leaves the window.
    return Math.max(1, Math.ceil((recent[recent.length - limit] + LOGIN_LIMITS.windowMs - now) / 1000));
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - LOGIN_LIMITS.windowMs);
  }

  private sweep(now: number): void {
    for (const [key, times] of this.failures) if (times.every((at) => at <= now - LOGIN_LIMITS.windowMs)) this.failures.delete(key);
  }
}
