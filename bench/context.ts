import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { MultiBar, Presets } from 'cli-progress';
import { Client } from 'pg';
import { Database } from '../src/database/database';
import { Row } from './report';

/** Where a scenario runs: a throw-away database on the PostgreSQL server, or an in-memory PGlite. */
export type Backend = 'PostgreSQL' | 'PGlite';

export interface Progress {
  increment(by?: number): void;
  /** Removes the bar; the final tables go to stdout, bars only ever to stderr. */
  stop(): void;
}

/** A fresh, migrated database of our own schema; `close` also drops it on PostgreSQL. */
export interface BenchDatabase {
  readonly backend: Backend;
  readonly database: Database;
  /** Connection string (PostgreSQL only). */
  readonly url?: string;
  close(): Promise<void>;
}

/** An empty database on the PostgreSQL server, with nothing in it: for the reference stores. */
export interface ThrowawayDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export interface BenchContext {
  /** Backends to run on, in order: PostgreSQL first when the server answered, then PGlite. */
  readonly backends: readonly Backend[];
  /** Server version, when the server answered. */
  readonly postgresVersion: string | null;
  /** Why PostgreSQL rows are skipped, when they are. */
  readonly postgresSkipReason: string | null;
  /** A fresh database with our migrations: PostgreSQL (pool of `poolSize`) or `memory://` PGlite. */
  openDatabase(backend: Backend, options: { poolSize: number }): Promise<BenchDatabase>;
  /** A fresh, empty database on the PostgreSQL server. */
  createPostgresDatabase(): Promise<ThrowawayDatabase>;
  /** A progress bar on stderr. */
  progress(label: string, total: number): Progress;
  /** A line printed under the section's table and kept in the JSON results. */
  note(message: string): void;
}

/** A bench section: runs its scenarios and returns one row per figure. */
export interface Section {
  readonly name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Integer from the environment (for quick trial runs), or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** The text of an error, also for node's AggregateError (ECONNREFUSED on several addresses). */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map((e: unknown) => describeError(e)))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (code ? String(code) : error.name);
  }
  return String(error);
}

export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The URL without its password, for printing. */
export function redact(serverUrl: string): string {
  try {
    const url = new URL(serverUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function adminQuery<T extends object = object>(serverUrl: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000, application_name: 'zhurnal-bench' });
  // A dropped connection after an error must not surface as an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<T>(sql);
    return result.rows;
  } finally {
    await client.end();
  }
}

/**
 * The shared part of every section's context: which backends are there, throw-away databases
 * (tracked so that an interrupted run still drops them), and one stderr area for progress bars.
 */
export class BenchEnvironment {
  private readonly live = new Set<string>();
  private bars?: MultiBar;
  private openBars = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => void this.interrupted(signal);

  private constructor(
    readonly serverUrl: string,
    readonly postgresVersion: string | null,
    readonly postgresSkipReason: string | null,
  ) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Probes the server once: unreachable means PGlite rows only, with the reason. */
  static async create(serverUrl: string): Promise<BenchEnvironment> {
    try {
      const [row] = await adminQuery<{ version: string }>(serverUrl, `SELECT current_setting('server_version') AS version`);
      return new BenchEnvironment(serverUrl, row.version, null);
    } catch (error) {
      return new BenchEnvironment(serverUrl, null, `${redact(serverUrl)} is unreachable: ${describeError(error)}`);
    }
  }

  get backends(): Backend[] {
    return this.postgresVersion === null ? ['PGlite'] : ['PostgreSQL', 'PGlite'];
  }

  contextFor(notes: string[]): BenchContext {
    return {
      backends: this.backends,
      postgresVersion: this.postgresVersion,
      postgresSkipReason: this.postgresSkipReason,
      openDatabase: (backend, options) => this.openDatabase(backend, options),
      createPostgresDatabase: () => this.createPostgresDatabase(),
      progress: (label, total) => this.progress(label, total),
      note: (message) => void notes.push(message),
    };
  }

  async createPostgresDatabase(): Promise<ThrowawayDatabase> {
    if (this.postgresVersion === null) throw new Error(`PostgreSQL is not available: ${this.postgresSkipReason}`);
    const name = `zhurnal_bench_${randomBytes(6).toString('hex')}`;
    await adminQuery(this.serverUrl, `CREATE DATABASE ${name}`);
    this.live.add(name);
    let dropped = false;
    return {
      url: withDatabase(this.serverUrl, name),
      drop: async () => {
        if (dropped) return;
        dropped = true;
        await this.dropDatabase(name);
      },
    };
  }

  async openDatabase(backend: Backend, options: { poolSize: number }): Promise<BenchDatabase> {
    if (backend === 'PGlite') {
      const database = await Database.open({ dataDir: 'memory://', poolSize: 1 });
      return { backend, database, close: () => database.close() };
    }
    const throwaway = await this.createPostgresDatabase();
    let database: Database;
    try {
      database = await Database.open({ databaseUrl: throwaway.url, dataDir: '', poolSize: options.poolSize });
      ignoreTerminationOfIdleClients(database.pool);
    } catch (error) {
      await throwaway.drop();
      throw error;
    }
    return {
      backend,
      database,
      url: throwaway.url,
      close: async () => {
        try {
          await database.close();
        } finally {
          await throwaway.drop();
        }
      },
    };
  }

  progress(label: string, total: number): Progress {
    if (!process.stderr.isTTY) return plainProgress(label, total);
    this.bars ??= new MultiBar(
      {
        stream: process.stderr,
        format: `{label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} elapsed, eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        etaBuffer: 200,
        fps: 5,
      },
      Presets.shades_classic,
    );
    const bar = this.bars.create(total, 0, { label: label.padEnd(44) });
    this.openBars++;
    let stopped = false;
    return {
      increment: (by = 1) => bar.increment(by),
      stop: () => {
        if (stopped) return;
        stopped = true;
        bar.stop();
        this.bars?.remove(bar);
        if (--this.openBars === 0) {
          this.bars?.stop();
          this.bars = undefined;
        }
      },
    };
  }

  /** Stops bars and drops whatever throw-away database is still there. */
  async close(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.bars?.stop();
    this.bars = undefined;
    for (const name of [...this.live]) await this.dropDatabase(name).catch(() => undefined);
  }

  /**
   * pg-pool's end() resolves once it has asked each connection to close, not once they have gone;
   * terminating them mid-close (FORCE) makes the client emit an error nobody listens for. So wait
   * a moment for the backends to leave, then drop whatever is still there.
   */
  private async dropDatabase(name: string): Promise<void> {
    const deadline = performance.now() + 3000;
    while (performance.now() < deadline) {
      const [row] = await adminQuery<{ n: number }>(this.serverUrl, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${name}'`);
      if (row.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await adminQuery(this.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    this.live.delete(name);
  }

  private async interrupted(signal: NodeJS.Signals): Promise<void> {
    this.bars?.stop();
    process.stderr.write(`\n${signal}: dropping ${this.live.size} throw-away database(s) and exiting\n`);
    for (const name of [...this.live]) await this.dropDatabase(name).catch(() => undefined);
    process.exit(130);
  }
}

/**
 * A pg.Pool emits 'error' when an idle connection dies; with no listener that ends the process.
 * Termination by the server (57P01, the drop of a throw-away database) is expected; others are shown.
 */
export function ignoreTerminationOfIdleClients(pool: object): void {
  if (!(pool instanceof EventEmitter)) return;
  pool.on('error', (error: unknown) => {
    if ((error as { code?: unknown }).code === '57P01') return;
    process.stderr.write(`idle database connection failed: ${describeError(error)}\n`);
  });
}

/** Without a terminal, cli-progress would only print blank lines: one line per phase instead. */
function plainProgress(label: string, total: number): Progress {
  const started = performance.now();
  let done = 0;
  let stopped = false;
  process.stderr.write(`${label}: ${total.toLocaleString('en')} …\n`);
  return {
    increment: (by = 1) => void (done += by),
    stop: () => {
      if (stopped) return;
      stopped = true;
      process.stderr.write(`${label}: ${done.toLocaleString('en')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}
