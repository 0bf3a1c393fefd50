import { getPostgreSQLEventStore, type PostgresEventStore as EmmettEventStore } from '@event-driven-io/emmett-postgresql';
import { Client, Pool, types } from 'pg';
import { SqlPool } from '../src/database/sql-pool';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { Backend, BenchContext, describeError, envInt, ignoreTerminationOfIdleClients, Progress, Section } from './context';
import { formatRatio, latencySummary, ratio, Row } from './report';
import { BenchEvent, benchEvent, benchMetadata, share } from './workload';

/**
 * One event per append call, as one command each, on the three stores side by side: ours, raw
 * single-row INSERTs into a plain table (the floor any store pays), and Emmett's PostgreSQL store.
 */
const TOTAL_EVENTS = envInt('BENCH_APPEND_EVENTS', 20_000);
const STREAM_LENGTH = 100;
const WRITER_COUNTS = [1, 8];
const POOL_SIZE = 16;
/** Appends before the clock starts, on streams of their own: connections, plans, JIT. */
const WARMUP_APPENDS = 200;

type StoreKind = 'ours' | 'raw' | 'emmett';
const STORES: readonly StoreKind[] = ['ours', 'raw', 'emmett'];
const STORE_LABEL: Record<StoreKind, string> = {
  ours: 'ours: PostgresEventStore.append',
  raw: 'raw: 1 INSERT/event, autocommit',
  emmett: 'Emmett 0.42 appendToStream',
};

const EMMETT_ON_PGLITE_CELL = 'n/a: no PGlite connector (see note)';
const EMMETT_ON_PGLITE =
  'Emmett on PGlite is n/a: emmett-postgresql 0.42.0 talks to the database through dumbo 0.12.7, whose only connector is ' +
  "'PostgreSQL:pg' (node-postgres); there is no PGlite connector in this version";

const RAW_TABLE = `CREATE TABLE raw_events (
  id bigserial PRIMARY KEY, stream_id text, stream_version int, type text, data jsonb, recorded_at timestamptz DEFAULT now())`;
const RAW_INSERT = `INSERT INTO raw_events (stream_id, stream_version, type, data) VALUES ($1, $2, $3, $4)`;

/** A store under test: one append call writes one event at the expected version. */
interface Target {
  append(stream: string, expected: number, event: BenchEvent): Promise<void>;
  /** Rows in the store afterwards (including warm-up), read back to prove nothing was lost. */
  count(): Promise<number>;
  close(): Promise<void>;
}

interface Measurement {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly stored: number;
}

type Outcome = { readonly ok: true; readonly m: Measurement } | { readonly ok: false; readonly reason: string };

export const appendSection: Section = {
  name: 'append',
  async run(ctx) {
    const rows: Row[] = [];
    ctx.note(
      `${TOTAL_EVENTS.toLocaleString('en')} events per row, 1 event per append call, streams of ${STREAM_LENGTH} events ` +
        `written at expected versions 0..${STREAM_LENGTH - 1}; writers share the total, each on its own streams; ` +
        `${WARMUP_APPENDS} warm-up appends per row are not timed. Each row runs on its own fresh database.`,
    );
    ctx.note(
      `PostgreSQL: ours and raw use a pg.Pool of ${POOL_SIZE}; Emmett gets a pg.Pool of 10 (what dumbo would make ` +
        `itself; more than the 8 writers). PGlite: one in-memory session, calls queue on it.`,
    );
    ctx.note(`latency = one append call as the caller sees it (pool wait included); events/s = events / wall time of the row.`);
    if (ctx.postgresSkipReason) ctx.note(`PostgreSQL rows skipped: ${ctx.postgresSkipReason}`);
    if (ctx.backends.includes('PGlite')) ctx.note(EMMETT_ON_PGLITE);
    for (const backend of ctx.backends) {
      for (const writers of WRITER_COUNTS) {
        const outcomes = new Map<StoreKind, Outcome>();
        for (const kind of STORES) outcomes.set(kind, await measureStore(ctx, backend, kind, writers));
        rows.push(...toRows(backend, writers, outcomes));
      }
    }
    return rows;
  },
};

function toRows(backend: Backend, writers: number, outcomes: Map<StoreKind, Outcome>): Row[] {
  const rate = (kind: StoreKind) => {
    const outcome = outcomes.get(kind);
    return outcome?.ok ? outcome.m.eventsPerSecond : null;
  };
  const vsEmmett = ratio(rate('ours'), rate('emmett'));
  return STORES.map((kind): Row => {
    const outcome = outcomes.get(kind)!;
    const isOurs = kind === 'ours';
    const base: Row = { scenario: `append ${backend}`, store: STORE_LABEL[kind], writers, events: TOTAL_EVENTS };
    const figures: Row = outcome.ok
      ? { 'events/s': outcome.m.eventsPerSecond, 'p50 ms': outcome.m.p50, 'p99 ms': outcome.m.p99 }
      : { 'events/s': 'n/a', 'p50 ms': 'n/a', 'p99 ms': 'n/a' };
    const ratios: Row = isOurs
      ? {
          'ours/raw': formatRatio(ratio(rate('ours'), rate('raw'))),
          'ours/Emmett': formatRatio(vsEmmett),
          'target ≥1.0× Emmett': vsEmmett === null ? 'n/a' : vsEmmett >= 1 ? 'met' : 'MISSED',
        }
      : { 'ours/raw': '', 'ours/Emmett': '', 'target ≥1.0× Emmett': '' };
    const check = outcome.ok
      ? outcome.m.stored === TOTAL_EVENTS + WARMUP_APPENDS
        ? `ok: ${outcome.m.stored.toLocaleString('en')} rows stored`
        : `FAIL: ${outcome.m.stored} rows stored, expected ${TOTAL_EVENTS + WARMUP_APPENDS}`
      : outcome.reason;
    return { ...base, ...figures, ...ratios, check };
  });
}

async function measureStore(ctx: BenchContext, backend: Backend, kind: StoreKind, writers: number): Promise<Outcome> {
  if (kind === 'emmett' && backend === 'PGlite') return { ok: false, reason: EMMETT_ON_PGLITE_CELL };
  let target: Target | undefined;
  const progress = ctx.progress(`append ${backend} ${kind} ×${writers}`, TOTAL_EVENTS);
  try {
    target = await openTarget(ctx, backend, kind);
    const m = await drive(target, writers, progress);
    return { ok: true, m };
  } catch (error) {
    return { ok: false, reason: `error: ${describeError(error)}` };
  } finally {
    progress.stop();
    await target?.close();
  }
}

/** Runs the writers to the end; returns throughput over the whole run and per-call latency. */
async function drive(target: Target, writers: number, progress: Progress): Promise<Measurement> {
  await Promise.all(
    share(WARMUP_APPENDS, writers).map(async (count, w) => {
      for (let i = 0; i < count; i++) await target.append(`warmup-w${w}`, i, benchEvent(i));
    }),
  );
  const latencies = new Float64Array(TOTAL_EVENTS);
  let done = 0;
  const started = performance.now();
  await Promise.all(
    share(TOTAL_EVENTS, writers).map(async (count, w) => {
      for (let i = 0; i < count; i++) {
        const stream = `lesson-w${w}s${Math.floor(i / STREAM_LENGTH)}`;
        const event = benchEvent(w * 31 + i);
        const t0 = performance.now();
        await target.append(stream, i % STREAM_LENGTH, event);
        latencies[done++] = performance.now() - t0;
        if (done % 100 === 0) progress.increment(100);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const { p50, p99 } = latencySummary(latencies);
  const stored = await target.count();
  return { events: TOTAL_EVENTS, seconds, eventsPerSecond: TOTAL_EVENTS / seconds, p50, p99, stored };
}

async function openTarget(ctx: BenchContext, backend: Backend, kind: StoreKind): Promise<Target> {
  if (kind === 'emmett') return openEmmett(ctx);
  const bench = await ctx.openDatabase(backend, { poolSize: POOL_SIZE });
  const pool: SqlPool = bench.database.pool;
  const countRows = async (table: string) => {
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0].n;
  };
  if (kind === 'ours') {
    const store = new PostgresEventStore(pool, { kind: backend === 'PostgreSQL' ? 'postgres' : 'pglite' });
    return {
      append: async (stream, expected, event) => {
        await store.append(stream, expected, [event], benchMetadata());
      },
      count: () => countRows('event_log'),
      close: async () => {
        await store.close();
        await bench.close();
      },
    };
  }
  try {
    await pool.query(RAW_TABLE);
  } catch (error) {
    await bench.close();
    throw error;
  }
  return {
    append: async (stream, expected, event) => {
      await pool.query(RAW_INSERT, [stream, expected + 1, event.type, JSON.stringify(event.data)]);
    },
    count: () => countRows('raw_events'),
    close: () => bench.close(),
  };
}

/**
 * dumbo, under Emmett, swaps node-postgres' global type parsers (int8 → BigInt, json/jsonb → its
 * own parser) when a store is made. Ours and TypeORM expect node-postgres' defaults, so Emmett gets
 * its parsers only while it runs and ours are put back when it closes.
 */
const PARSED_OIDS = [20, 114, 3802];
type Parsers = [number, (value: string) => unknown][];
const captureParsers = (): Parsers => PARSED_OIDS.map((oid) => [oid, types.getTypeParser(oid, 'text')]);
const applyParsers = (parsers: Parsers) => parsers.forEach(([oid, parse]) => types.setTypeParser(oid, parse));
let emmettParsers: Parsers | undefined;

async function openEmmett(ctx: BenchContext): Promise<Target> {
  const throwaway = await ctx.createPostgresDatabase();
  const ours = captureParsers();
  if (emmettParsers) applyParsers(emmettParsers);
  // The pool dumbo would make itself (pg's default max of 10), handed in so that it has an 'error'
  // listener and its end is ours: a connection the drop of the database kills while pg-pool is
  // still closing it would otherwise be an unhandled 'error' event (seen once with dumbo's own).
  const pool = new Pool({ connectionString: throwaway.url, max: 10, application_name: 'zhurnal-bench-emmett' });
  ignoreTerminationOfIdleClients(pool);
  let store: EmmettEventStore | undefined;
  const close = async () => {
    try {
      await store?.close();
      await pool.end();
    } finally {
      applyParsers(ours);
      await throwaway.drop();
    }
  };
  try {
    store = getPostgreSQLEventStore(throwaway.url, { connectionOptions: { pool } });
    emmettParsers ??= captureParsers();
    // The schema is made on first use otherwise; make it now, outside the timed part.
    await store.schema.migrate();
  } catch (error) {
    await close();
    throw error;
  }
  const emmett = store;
  return {
    append: async (stream, expected, event) => {
      const { correlationId, actor, schoolId } = benchMetadata();
      await emmett.appendToStream(stream, [{ type: event.type, data: event.data, metadata: { schoolId, actor, correlationId } }], {
        expectedStreamVersion: BigInt(expected),
      });
    },
    count: async () => {
      const client = new Client({ connectionString: throwaway.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM emt_messages`);
        return rows[0].n;
      } finally {
        await client.end();
      }
    },
    close,
  };
}
