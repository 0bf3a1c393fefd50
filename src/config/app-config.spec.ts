import { ConfigError, loadConfig } from './app-config';

describe('configuration', () => {
  it('given an empty environment, when loaded, then it runs embedded on port 3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', DB_POOL_SIZE: 10, ADMIN_LOGIN: 'admin' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.storeDescription).toContain('PGlite');
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
  ])('given %j, when loaded, then start-up stops with a message naming the problem', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
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
