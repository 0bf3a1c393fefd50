import { Client } from 'pg';

/** The service's namespace for advisory locks (the first of the two int4 keys): "zh". */
export const LOCK_NAMESPACE = 0x7a68;
/** Held by the one process that writes the views (docs/architecture.md, "Several instances"). */
export const VIEWS_LEADER_LOCK = 0;
/** Held while migrations run, so processes starting together migrate one after the other. */
export const MIGRATIONS_LOCK = -1;
/** Held by the one process that builds the audit ledger and signs its checkpoints. */
export const LEDGER_LEADER_LOCK = -2;
/** Held by the one process that turns the log into the notification outbox (src/notifications). */
export const NOTIFICATIONS_LEADER_LOCK = -3;
/** Held by the one process that publishes the change feed to NATS JetStream (src/feed). */
export const FEED_PUBLISHER_LOCK = -4;
// A rebuild into generation G is locked by the key G itself (G ≥ 1).

/**
 * Session-level advisory locks: who leads the views, who builds a rebuild. A lock lives as long as
 * the session that took it, so a process that dies (kill -9, a lost connection) lets go of its
 * locks at once and another takes over. They say who should do the work; they are not what keeps
 * the views right (the checkpoint rows, locked in each batch's transaction, are: see the runner).
 */
export interface AdvisoryLocks {
  /** Takes the lock if it is free; true also if this session holds it already. */
  tryLock(key: number): Promise<boolean>;
  unlock(key: number): Promise<void>;
  /** Whether this session still holds it: false once the session was lost, and every lock with it. */
  holds(key: number): boolean;
  /** Whether some session (this one or another) holds it. */
  isHeld(key: number): Promise<boolean>;
  close(): Promise<void>;
}

/** PostgreSQL: a connection of its own, kept open while locks are held, opened again when lost. */
export class SessionLocks implements AdvisoryLocks {
  private session?: Promise<Client>;
  private readonly held = new Set<number>();

  constructor(private readonly connectionString: string) {}

  async tryLock(key: number): Promise<boolean> {
    if (this.held.has(key)) return true;
    const client = await this.connect();
    const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS taken', [LOCK_NAMESPACE, key]);
    if (rows[0].taken) this.held.add(key);
    return rows[0].taken;
  }

  async unlock(key: number): Promise<void> {
    if (!this.held.delete(key) || !this.session) return;
    const client = await this.session;
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, key]);
  }

  holds(key: number): boolean {
    return this.held.has(key);
  }

  async isHeld(key: number): Promise<boolean> {
    if (this.held.has(key)) return true;
    const client = await this.connect();
    const { rows } = await client.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2) AS held`,
      [LOCK_NAMESPACE, key],
    );
    return rows[0].held;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.held.clear();
    if (session) await (await session.catch(() => undefined))?.end().catch(() => undefined);
  }

  private connect(): Promise<Client> {
    if (this.session) return this.session;
    const client = new Client({ connectionString: this.connectionString, application_name: 'zhurnal-locks', keepAlive: true });
    const session = client.connect().then(() => client);
    // A lost session (the server restarted, pg_terminate_backend, a failover) took every lock with it.
    const lost = () => {
      if (this.session !== session) return;
      this.session = undefined;
      this.held.clear();
      void client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    session.catch(lost);
    this.session = session;
    return session;
  }
}

/** Embedded PGlite is one process: the locks are kept in memory, shared by whoever shares `scope`. */
export class LocalLocks implements AdvisoryLocks {
  private static readonly owners = new WeakMap<object, Map<number, LocalLocks>>();
  private readonly owned: Map<number, LocalLocks>;

  constructor(scope: object) {
    let owned = LocalLocks.owners.get(scope);
    if (!owned) LocalLocks.owners.set(scope, (owned = new Map()));
    this.owned = owned;
  }

  async tryLock(key: number): Promise<boolean> {
    const owner = this.owned.get(key);
    if (owner && owner !== this) return false;
    this.owned.set(key, this);
    return true;
  }

  async unlock(key: number): Promise<void> {
    if (this.owned.get(key) === this) this.owned.delete(key);
  }

  holds(key: number): boolean {
    return this.owned.get(key) === this;
  }

  async isHeld(key: number): Promise<boolean> {
    return this.owned.has(key);
  }

  async close(): Promise<void> {
    for (const [key, owner] of this.owned) if (owner === this) this.owned.delete(key);
  }
}
