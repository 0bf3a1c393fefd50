import { LoginThrottle } from './login-throttle';

describe('login throttle', () => {
  const t0 = 1_000_000;

  it('given 4 wrong passwords for a login, when a 5th attempt comes, then it is still accepted', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 4; i++) throttle.recordFailure('ivanova', '10.0.0.1', t0 + i);
    expect(throttle.retryAfter('ivanova', '10.0.0.1', t0 + 10)).toBe(0);
  });

  it('given 5 wrong passwords in a minute, then the login is refused until the first leaves the window', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) throttle.recordFailure('ivanova', '10.0.0.1', t0 + i * 1000);
    expect(throttle.retryAfter('ivanova', '10.0.0.9', t0 + 5000)).toBe(55);
    expect(throttle.retryAfter('petrov', '10.0.0.1', t0 + 5000)).toBe(0);
    expect(throttle.retryAfter('ivanova', '10.0.0.1', t0 + 60_001)).toBe(0);
  });

  it('given 50 wrong passwords from one address across logins, then that address is refused', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 50; i++) throttle.recordFailure(`user${i}`, '10.0.0.1', t0 + i);
    expect(throttle.retryAfter('someone-new', '10.0.0.1', t0 + 100)).toBeGreaterThan(0);
    expect(throttle.retryAfter('someone-new', '10.0.0.2', t0 + 100)).toBe(0);
  });
});
