import { PROJECTORS } from '../projections';
import { ProjectionRunner } from '../projections/projection-runner';
import { handlesEvent } from '../projections/projector';
import { SqlPool } from '../src/database/sql-pool';
import type { NewEvent } from '../src/event-store/envelope';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { comparePositions, Position, START } from '../src/event-store/position';
import { Backend, BenchContext, BenchDatabase, describeError, envInt, Section } from './context';
import { formatRatio, ratio, Row } from './report';
import { BENCH_EVENT_TYPES, benchEvent, benchMetadata } from './workload';

/**
 * A large log read back from the start: the global-order read a new subscriber or a rebuild does,
 * beside a plain keyset scan of the same table, and a full rebuild of every projection.
 */
const TOTAL_EVENTS = envInt('BENCH_CATCHUP_EVENTS', 200_000);
const STREAM_LENGTH = 100;
/** Events per setup append: a whole stream by default (an append writes to one stream). */
const SETUP_BATCH = Math.min(envInt('BENCH_CATCHUP_SETUP_BATCH', STREAM_LENGTH), STREAM_LENGTH);
const SETUP_CONCURRENCY: Record<Backend, number> = { PostgreSQL: 4, PGlite: 1 };
const READ_BATCH = 1000;
/** The two full reads are short: each is run this many times, alternating, and the median kept. */
const READ_REPEATS = envInt('BENCH_READ_REPEATS', 3);
const REBUILD_TARGET = 50_000;
const CATALOG = 'stream-catalog';

const RAW_PAGE = `
SELECT event_log.tx_id::text AS tx_text, event_log.seq::text AS seq_text, event_log.envelope FROM event_log
 WHERE (event_log.tx_id, event_log.seq) > ($1::text::xid8, $2::bigint)
 ORDER BY event_log.tx_id, event_log.seq
 LIMIT $3`;

interface Timed {
  readonly events: number;
  readonly seconds: number;
}

const perSecond = (t: Timed) => t.events / t.seconds;
/** The run of median duration (the lower middle one for an even count). */
const median = <T extends Timed>(runs: readonly T[]): T => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];
const streamCount = Math.ceil(TOTAL_EVENTS / STREAM_LENGTH);
const streamLength = (s: number) => Math.min(STREAM_LENGTH, TOTAL_EVENTS - s * STREAM_LENGTH);

export const catchUpSection: Section = {
  name: 'catch-up',
  async run(ctx) {
    ctx.note(
      `setup (not measured): ${TOTAL_EVENTS.toLocaleString('en')} events in ${streamCount.toLocaleString('en')} streams of ` +
        `${STREAM_LENGTH}, written with PostgresEventStore.append, ${SETUP_BATCH} events per call ` +
        `(${SETUP_CONCURRENCY.PostgreSQL} concurrent appenders on PostgreSQL, 1 on PGlite), then VACUUM ANALYZE event_log.`,
    );
    if (SETUP_BATCH === STREAM_LENGTH) {
      ctx.note(
        `the log is therefore stream-contiguous: each ${READ_BATCH.toLocaleString('en')}-event rebuild batch touches ~${Math.ceil(READ_BATCH / STREAM_LENGTH)} ` +
          `documents, the rebuild's best case; BENCH_CATCHUP_SETUP_BATCH=10 interleaves streams (~${READ_BATCH / 10} documents per batch).`,
      );
    }
    ctx.note(
      `raw reference: keyset pages of ${READ_BATCH.toLocaleString('en')} on (tx_id, seq) fetching the same three columns as ` +
        `readAll, without readAll's pg_snapshot_xmin bound and without JSON parsing of the envelope.`,
    );
    const idle = PROJECTORS.filter((p) => !BENCH_EVENT_TYPES.some((type) => handlesEvent(p, type))).map((p) => p.name);
    ctx.note(
      `rebuild runs all ${PROJECTORS.length} projector(s) of projections/index.ts (${PROJECTORS.map((p) => p.name).join(', ')}) from an empty checkpoint` +
        (idle.length > 0 ? `; ${idle.join(', ')} fold none of the bench's event types (${BENCH_EVENT_TYPES.join(', ')}), so only their checkpoints move.` : '.'),
    );
    if (ctx.postgresSkipReason) ctx.note(`PostgreSQL rows skipped: ${ctx.postgresSkipReason}`);
    const rows: Row[] = [];
    for (const backend of ctx.backends) {
      try {
        rows.push(...(await runOn(ctx, backend)));
      } catch (error) {
        rows.push({ scenario: `catch-up ${backend}`, measure: 'all', check: `error: ${describeError(error)}` });
      }
    }
    return rows;
  },
};

async function runOn(ctx: BenchContext, backend: Backend): Promise<Row[]> {
  const bench = await ctx.openDatabase(backend, { poolSize: 16 });
  try {
    const pool = bench.database.pool;
    const store = new PostgresEventStore(pool, { kind: backend === 'PostgreSQL' ? 'postgres' : 'pglite' });
    const setup = await fill(ctx, backend, store);
    await pool.query('VACUUM ANALYZE event_log');
    ctx.note(`${backend} setup: ${TOTAL_EVENTS.toLocaleString('en')} events written in ${setup.seconds.toFixed(1)} s (${Math.round(perSecond(setup)).toLocaleString('en')} events/s).`);

    const raws: Timed[] = [];
    const reads: (Timed & { check: string })[] = [];
    for (let run = 1; run <= READ_REPEATS; run++) {
      const of = READ_REPEATS > 1 ? ` (run ${run}/${READ_REPEATS})` : '';
      raws.push(await rawScan(ctx, `catch-up ${backend}: raw keyset SELECT${of}`, pool));
      reads.push(await readAllScan(ctx, `catch-up ${backend}: readAll${of}`, store));
    }
    const raw = median(raws);
    const read = { ...median(reads), check: reads.find((r) => r.check.startsWith('FAIL'))?.check ?? reads[0].check };
    const rebuild = await rebuildAll(ctx, backend, bench, store);

    const scenario = `catch-up ${backend}`;
    const medianOf = READ_REPEATS > 1 ? `, median of ${READ_REPEATS}` : '';
    const readRatio = ratio(perSecond(read), perSecond(raw));
    const rebuildRate = perSecond(rebuild);
    return [
      {
        scenario,
        measure: `raw keyset SELECT, pages of ${READ_BATCH.toLocaleString('en')}${medianOf}`,
        events: raw.events,
        seconds: raw.seconds,
        'events/s': perSecond(raw),
        'vs raw': '',
        target: '',
        check: raws.every((r) => r.events === TOTAL_EVENTS)
          ? `ok: ${raw.events.toLocaleString('en')} rows`
          : `FAIL: ${raws.map((r) => r.events).join('/')} rows, expected ${TOTAL_EVENTS}`,
      },
      {
        scenario,
        measure: `ours: readAll from START, batches of ${READ_BATCH.toLocaleString('en')}${medianOf}`,
        events: read.events,
        seconds: read.seconds,
        'events/s': perSecond(read),
        'vs raw': formatRatio(readRatio),
        target: '',
        check: read.check,
      },
      {
        scenario,
        measure: `ours: projection rebuild, ${PROJECTORS.length} projector(s)`,
        events: rebuild.events,
        seconds: rebuild.seconds,
        'events/s': rebuildRate,
        'vs raw': '',
        target: `≥ ${REBUILD_TARGET.toLocaleString('en')} ev/s: ${rebuildRate >= REBUILD_TARGET ? 'met' : 'MISSED'}`,
        check: rebuild.check,
      },
    ];
  } finally {
    await bench.close();
  }
}

/** Writes the log: rounds of SETUP_BATCH events per stream, a few appenders at once. */
async function fill(ctx: BenchContext, backend: Backend, store: PostgresEventStore): Promise<Timed> {
  const progress = ctx.progress(`catch-up ${backend}: write ${TOTAL_EVENTS.toLocaleString('en')} events (setup)`, TOTAL_EVENTS);
  const started = performance.now();
  try {
    for (let offset = 0; offset < STREAM_LENGTH; offset += SETUP_BATCH) {
      let next = 0;
      const appender = async () => {
        for (let s = next++; s < streamCount; s = next++) {
          const length = Math.min(SETUP_BATCH, streamLength(s) - offset);
          if (length <= 0) continue;
          const events: NewEvent[] = Array.from({ length }, (_, k) => benchEvent(s * STREAM_LENGTH + offset + k));
          await store.append(`lesson-${s}`, offset, events, benchMetadata());
          progress.increment(length);
        }
      };
      await Promise.all(Array.from({ length: SETUP_CONCURRENCY[backend] }, appender));
    }
  } finally {
    progress.stop();
  }
  return { events: TOTAL_EVENTS, seconds: (performance.now() - started) / 1000 };
}

async function rawScan(ctx: BenchContext, label: string, pool: SqlPool): Promise<Timed> {
  const progress = ctx.progress(label, TOTAL_EVENTS);
  let count = 0;
  let after = { tx: '0', seq: '0' };
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await pool.query<{ tx_text: string; seq_text: string; envelope: string }>(RAW_PAGE, [after.tx, after.seq, READ_BATCH]);
      if (rows.length === 0) break;
      count += rows.length;
      const last = rows[rows.length - 1];
      after = { tx: last.tx_text, seq: last.seq_text };
      progress.increment(rows.length);
    }
  } finally {
    progress.stop();
  }
  return { events: count, seconds: (performance.now() - started) / 1000 };
}

async function readAllScan(ctx: BenchContext, label: string, store: PostgresEventStore): Promise<Timed & { check: string }> {
  const progress = ctx.progress(label, TOTAL_EVENTS);
  const ids: string[] = [];
  let increasing = true;
  let after: Position = START;
  const started = performance.now();
  try {
    for (;;) {
      const events = await store.readAll(after, { limit: READ_BATCH });
      if (events.length === 0) break;
      for (const event of events) {
        if (comparePositions(event.position, after) <= 0) increasing = false;
        after = event.position;
        ids.push(event.eventId);
      }
      progress.increment(events.length);
    }
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const distinct = new Set(ids).size;
  const problems = [
    ids.length !== TOTAL_EVENTS ? `read ${ids.length}, expected ${TOTAL_EVENTS}` : '',
    distinct !== ids.length ? `${ids.length - distinct} duplicate ids` : '',
    increasing ? '' : 'positions not strictly increasing',
  ].filter(Boolean);
  const check =
    problems.length === 0
      ? `ok: ${ids.length.toLocaleString('en')} read, ${distinct.toLocaleString('en')} distinct ids, positions strictly increasing`
      : `FAIL: ${problems.join('; ')}`;
  return { events: ids.length, seconds, check };
}

async function rebuildAll(
  ctx: BenchContext,
  backend: Backend,
  bench: BenchDatabase,
  store: PostgresEventStore,
): Promise<Timed & { check: string }> {
  const progress = ctx.progress(`catch-up ${backend}: projection rebuild`, TOTAL_EVENTS);
  let applied = 0;
  const runner = new ProjectionRunner(bench.database.dataSource, store, PROJECTORS, {
    batchSize: READ_BATCH,
    onBatch: (events) => {
      applied += events;
      progress.increment(events);
    },
  });
  const started = performance.now();
  try {
    await runner.catchUp();
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await bench.database.pool.query<{ docs: number; events: number }>(
    `SELECT count(*)::int AS docs, coalesce(sum((doc->>'events')::int), 0)::int AS events FROM view_document WHERE projection = $1`,
    [CATALOG],
  );
  const { docs, events } = rows[0];
  const ok = events === TOTAL_EVENTS && docs === streamCount && applied === TOTAL_EVENTS;
  const check = `${ok ? 'ok' : 'FAIL'}: ${CATALOG} ${docs.toLocaleString('en')} docs, Σ events ${events.toLocaleString('en')}` + (ok ? '' : ` (expected ${streamCount} docs, ${TOTAL_EVENTS} events; runner applied ${applied})`);
  return { events: applied, seconds, check };
}
