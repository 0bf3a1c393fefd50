import { ConfigError, loadConfig } from './app-config';

describe('configuration', () => {
  it('given an empty environment, when loaded, then it runs embedded on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', DB_POOL_SIZE: 10, ADMIN_LOGIN: 'admin' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.storeDescription).toContain('PGlite');
  });

  it('given NATS servers, when loaded, then they are kept; never echoed in an error', () => {
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222,tls://nats.example:4222' }).NATS_URL).toBe('nats://127.0.0.1:4222,tls://nats.example:4222');
    expect(() => loadConfig({ NATS_URL: 'nats://user:secret@ nats' })).toThrow(/NATS_URL.*a value not shown/);
  });

  it('given numbers as text, when loaded, then they become numbers', () => {
    expect(loadConfig({ PORT: '8080', DB_POOL_SIZE: '4' })).toMatchObject({ PORT: 8080, DB_POOL_SIZE: 4 });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres:// connection string'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD must be at least 10 characters'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' }, 'set DATABASE_URL too'],
    [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY must be true, false, a number of hops'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ METRICS_ALLOW: '10.0.0.0/8, example.org' }, 'METRICS_ALLOW must be a comma-separated list'],
    [{ METRICS_ALLOW: 'loopback' }, 'METRICS_ALLOW'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 characters'],
    [{ SERVICE_SECRET: 'too short' }, 'SERVICE_SECRET must be at least 32 characters'],
    [{ SERVICE_SECRET: 'a'.repeat(32), JWT_SECRET: 'b'.repeat(32) }, 'both set and differ'],
    [{ NATS_URL: 'http://127.0.0.1:4222' }, 'NATS_URL must be nats:// or tls:// URLs'],
  ])('given %j, when loaded, then start-up stops with a message naming the problem', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['127.0.0.1, 10.0.0.0/8,loopback', ['127.0.0.1', '10.0.0.0/8', 'loopback']],
  ])('given TRUST_PROXY=%s, then Fastify is given trustProxy %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('takes SERVICE_SECRET as the master secret, JWT_SECRET (its older name) when it is unset, and neither by default', () => {
    expect(loadConfig({ SERVICE_SECRET: 's'.repeat(32) }).masterSecret).toBe('s'.repeat(32));
    expect(loadConfig({ JWT_SECRET: 'j'.repeat(32) }).masterSecret).toBe('j'.repeat(32));
    expect(loadConfig({}).masterSecret).toBeUndefined();
  });

  it('never echoes a secret or a token back in its error', () => {
    for (const env of [{ SERVICE_SECRET: 'short-secret' }, { METRICS_TOKEN: 'short-token' }]) {
      expect(() => loadConfig(env)).toThrow('a value not shown');
    }
  });

  it('never echoes the admin password back in its error', () => {
    try {
      loadConfig({ ADMIN_PASSWORD: 'short' });
    } catch (error) {
      expect((error as Error).message).not.toContain('"short"');
    }
    expect.assertions(1);
  });
});
