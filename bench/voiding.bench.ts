import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { PROJECTORS } from '../projections';
import { correctionsAudit } from '../projections/corrections-audit/corrections-audit.projector';
import { gridKey, journalGrid, lessonsPartKey, studentPartKey } from '../projections/journal-grid/journal-grid.projector';
import { ProjectionRunner } from '../projections/projection-runner';
import { keysOfBatch } from '../projections/projection-step';
import { DocumentProjector, foldDocuments } from '../projections/projector';
import { streamCatalog } from '../projections/stream-catalog/stream-catalog.projector';
import { accountStream } from '../src/accounts/domain/account.decider';
import { AppConfig } from '../src/config/app-config';
import type { AppendMetadata, NewEvent, StoredEvent } from '../src/event-store/envelope';
import type { AppendResult, EventStore, LogQuery } from '../src/event-store/event-store.port';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { ForwardingEventStore } from '../src/event-store/forwarding-event-store';
import { comparePositions, formatPosition, Position } from '../src/event-store/position';
import { journalStream } from '../src/journal/domain/journal.decider';
import type { SqlPool } from '../src/database/sql-pool';
import { Backend, BenchContext, describeError, envInt, Section } from './context';
import { formatRatio, percentile, ratio, Row } from './report';
import { accountWrites, EVENTS_PER_SCHOOL, makeSchool, rng, School, TickingClock, WEEKS, weekStart, weekWrites, Write } from './voiding-workload';

/**
 * Issue 6: a credential-compromise report on a big log. A year of journals of many schools
 * (bench/voiding-workload.ts), one teacher per "heavy" school with ~10,000 operations; the views
 * are rebuilt, then the runner follows the log as in the service, and each heavy teacher in turn
 * is reported from their first operation on. Measured: report append → `runner.waitFor(its
 * position)` (what `GET …?atLeast=` waits for), memory, documents re-folded, events re-read.
 */
const TOTAL_EVENTS = envInt('BENCH_VOIDING_EVENTS', 1_000_000);
const PGLITE_EVENTS = process.env.BENCH_VOIDING_PGLITE_EVENTS ? envInt('BENCH_VOIDING_PGLITE_EVENTS', 1) : null;
const SAMPLES = envInt('BENCH_VOIDING_SAMPLES', 5);
const PROFILE = process.env.BENCH_VOIDING_PROFILE === '1';
const PROFILE_REBUILD = process.env.BENCH_VOIDING_PROFILE_REBUILD === '1';
/** Also rebuild in the log's order (the way before rebuilds by school), for a ratio in the same run. */
const LOG_ORDER = process.env.BENCH_VOIDING_LOG_ORDER === '1';
const APPENDERS: Record<Backend, number> = { PostgreSQL: 4, PGlite: 1 };
const GOAL_MS = 2000;
/** What `?atLeast` waits at most before answering 503 NOT_YET_CONSISTENT. */
const AT_LEAST_TIMEOUT_MS = 5000;
const MiB = 2 ** 20;
/**
 * The write-back cache's budget here (REBUILD_MEMORY_MB in the service, 256 by default): the
 * journals' student parts of a 1M-event log alone hold ~250 MB, and a cache smaller than what a
 * week touches drops and reloads them every week.
 */
const REBUILD_MEMORY_BYTES = envInt('BENCH_REBUILD_MEMORY_MB', 1536) * MiB;
/** How many events a rebuild folds between two flushes (the service's REBUILD_FLUSH_EVENTS). */
const REBUILD_FLUSH_EVENTS = envInt('BENCH_REBUILD_FLUSH_EVENTS', new AppConfig().REBUILD_FLUSH_EVENTS);

export const voidingSection: Section = {
  name: 'voiding',
  async run(ctx) {
    if (TOTAL_EVENTS < 5_000_000) {
      ctx.note(
        `${TOTAL_EVENTS.toLocaleString('en')} events; BENCH_VOIDING_EVENTS=5000000 runs the 5M case (its setup is ~5× as long: mostly the rebuild). ` +
          `A report's work depends on the teacher's operations and their documents' sources, not on the log's length (index lookups).`,
      );
    }
    const rows: Row[] = [];
    for (const backend of ctx.backends) {
      const total = backend === 'PGlite' ? PGLITE_EVENTS : TOTAL_EVENTS;
      if (total === null) {
        ctx.note(
          `PGlite skipped: one in-memory WASM session writing and rebuilding ${TOTAL_EVENTS.toLocaleString('en')} journal events would take ` +
            `several minutes on this shared 2-core machine (catch-up section: ~11k appends/s, ~69k rebuild ev/s on simpler events) and a ` +
            `multi-GiB WASM heap; set BENCH_VOIDING_PGLITE_EVENTS (e.g. 300000) to run it at a smaller size.`,
        );
        continue;
      }
      try {
        rows.push(...(await runOn(ctx, backend, total)));
      } catch (error) {
        if (error instanceof Error && error.stack) console.error(error.stack);
        rows.push({ scenario: `voiding ${backend}`, measure: 'all', check: `error: ${describeError(error)}` });
      }
    }
    return rows;
  },
};

interface Heavy {
  readonly school: School;
  readonly accountId: string;
  ops: number;
  firstRecordedAt: string | null;
  accountVersion: number;
}

async function runOn(ctx: BenchContext, backend: Backend, total: number): Promise<Row[]> {
  const bench = await ctx.openDatabase(backend, { poolSize: 16 });
  try {
    const pool = bench.database.pool;
    const clock = new TickingClock();
    const inner = new PostgresEventStore(pool, { kind: backend === 'PostgreSQL' ? 'postgres' : 'pglite', clock });
    const store = new CountingStore(inner);
    const scenario = `voiding ${backend}`;

    // --- setup: the log --------------------------------------------------------------------
    const schoolCount = Math.max(1, Math.ceil(total / EVENTS_PER_SCHOOL));
    const heavyCount = Math.min(SAMPLES, schoolCount);
    const schools = Array.from({ length: schoolCount }, (_, i) => makeSchool(i < heavyCount));
    const heavies: Heavy[] = schools.filter((s) => s.heavy).map((school) => ({ school, accountId: school.heavy!.accountId, ops: 0, firstRecordedAt: null, accountVersion: 0 }));
    const fill = await fillLog(ctx, backend, inner, clock, schools, heavies, total);
    await pool.query('VACUUM ANALYZE event_log');
    const streams = schools.length * 7 * 8 * 4;
    ctx.note(
      `${backend} log: ${fill.events.toLocaleString('en')} events (${schools.length} schools × 7 classes × 25 students, 8 subjects, ` +
        `${streams.toLocaleString('en')} journal streams group × quarter, ${WEEKS} weeks, accounts), written with PostgresEventStore.append, ` +
        `one append per lesson (~10 events) or per quarter's final marks, ${APPENDERS[backend]} appender(s), week by week, in ` +
        `${fill.seconds.toFixed(1)} s (${Math.round(fill.events / fill.seconds).toLocaleString('en')} ev/s, setup, not a figure of merit).`,
    );
    ctx.note(
      `${backend} reported teachers: ${heavies.map((h) => h.ops.toLocaleString('en')).join(', ')} operations each ` +
        `(one 4-hour subject in 7 classes × ${WEEKS} weeks; 1 lesson in 30 taken by a substitute, who is not reported).`,
    );

    // --- the views caught up from scratch --------------------------------------------------
    const rebuildProgress = ctx.progress(`${scenario}: projection rebuild`, fill.events);
    let applied = 0;
    let onBatchHook: ((position: Position) => void) | undefined;
    const runner = new ProjectionRunner(bench.database.dataSource, store, PROJECTORS, {
      rebuildMemoryBytes: REBUILD_MEMORY_BYTES,
      rebuildFlushEvents: REBUILD_FLUSH_EVENTS,
      onBatch: (events, position) => {
        applied += events;
        rebuildProgress.increment(events);
        onBatchHook?.(position);
      },
    });
    const rebuildStarted = performance.now();
    try {
      await runner.catchUp();
    } finally {
      rebuildProgress.stop();
    }
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    const rebuilt = applied;
    await pool.query('VACUUM ANALYZE view_document');
    const sizes = await pool.query<{ log: string; views: string; docs: number }>(
      `SELECT pg_size_pretty(pg_total_relation_size('event_log')) AS log, pg_size_pretty(pg_total_relation_size('view_document')) AS views,
              (SELECT count(*)::int FROM view_document) AS docs`,
    );
    ctx.note(`${backend} sizes after the rebuild: event_log ${sizes.rows[0].log}, view_document ${sizes.rows[0].views} (${sizes.rows[0].docs.toLocaleString('en')} documents); VACUUM ANALYZE on both before the reports.`);

    // --- a full rebuild into a shadow, as a version bump or `npm run rebuild` does it ----------
    const shadow = await shadowRebuild(ctx, scenario, bench.database.dataSource, store, pool, fill.events, true);
    // The switch retired the first build's rows: vacuumed before the reports, as after the first build.
    await pool.query('VACUUM ANALYZE view_document');
    if (LOG_ORDER) {
      const [logOrder] = await shadowRebuild(ctx, scenario, bench.database.dataSource, store, pool, fill.events, false);
      // Against the same raw read as the rebuild by school (the row after it).
      shadow.push({ ...logOrder, 'vs raw': formatRatio(ratio(Number(logOrder.seconds), Number(shadow[1].seconds))) });
      await pool.query('VACUUM ANALYZE view_document');
    }

    // --- reports, the runner following the log ---------------------------------------------
    await runner.start();
    // Stopped whatever happens: a running supervisor would keep the process alive after an error.
    const samples: Sample[] = [];
    const sampleRows: Row[] = [];
    try {
      for (const [i, heavy] of heavies.entries()) {
        const sample = await reportAndWait(ctx, backend, runner, store, pool, heavy, (hook) => (onBatchHook = hook), PROFILE && i === 0);
        samples.push(sample);
        const check = i === 0 ? await verify(inner, pool, runner, heavy, sample) : await verifyGrids(pool, heavy);
        sampleRows.push({
          scenario,
          measure: `report ${i + 1}: append → waitFor(position)`,
          count: sample.voided,
          seconds: sample.totalMs / 1000,
          'per s': sample.voided / (sample.totalMs / 1000),
          'p50 ms': '',
          'p99 ms': '',
          'vs raw': formatRatio(ratio(sample.totalMs, sample.raw.ms)),
          goal: `< ${GOAL_MS / 1000} s: ${sample.totalMs < GOAL_MS ? 'met' : 'MISSED'}`,
          check:
            `${check}; re-folded ${sample.refolded}; re-read ${sample.reread.toLocaleString('en')} ev (${sample.streams} streams); ` +
            `RSS ${mib(sample.rssBefore)}→peak ${mib(sample.rssPeak)}→${mib(sample.rssAfter)} MiB, heap ${mib(sample.heapBefore)}→${mib(sample.heapAfter)} MiB`,
        });
        ctx.note(
          `${backend} report ${i + 1} phases (ms): append ${sample.phases.append.toFixed(0)}, to the batch's query ${sample.phases.toQuery.toFixed(0)}, ` +
            `query(account from moment) ${sample.phases.query.toFixed(0)} (${sample.queried.toLocaleString('en')} ev), sources+readStream×${sample.streams} ` +
            `${sample.phases.streams.toFixed(0)} (${sample.reread.toLocaleString('en')} ev), re-fold + commit ${sample.phases.commit.toFixed(0)}, notify ${sample.phases.notify.toFixed(0)}.`,
        );
        ctx.note(`${backend} report ${i + 1} SQL (node-postgres calls: count, Σ ms from call to result; parallel calls overlap): ${sample.sql}`);
        if (sample.profile) ctx.note(`${backend} report 1 CPU profile (${sample.profile.file}), self time: ${sample.profile.top}`);
      }
    } finally {
      await runner.stop();
    }

    // --- summary -----------------------------------------------------------------------------
    const totals = samples.map((s) => s.totalMs);
    const raw = samples.map((s) => s.raw.ms);
    const naive = samples.map((s) => s.naiveMs);
    const p50 = percentile(totals, 50);
    const rebuildRate = rebuilt / rebuildSeconds;
    const voidedTotal = samples.reduce((a, s) => a + s.voided, 0);
    return [
      {
        scenario,
        measure: `setup: write the log (PostgresEventStore.append)`,
        count: fill.events,
        seconds: fill.seconds,
        'per s': fill.events / fill.seconds,
        'p50 ms': '',
        'p99 ms': '',
        'vs raw': '',
        goal: '',
        check: `ok: ${fill.events.toLocaleString('en')} appended`,
      },
      ...shadow,
      {
        scenario,
        measure: `first build: ProjectionRunner.catchUp on a new database (a rebuild by school beside the empty views), ${PROJECTORS.length} views + voiding-facts`,
        count: rebuilt,
        seconds: rebuildSeconds,
        'per s': rebuildRate,
        'p50 ms': '',
        'p99 ms': '',
        'vs raw': '',
        goal: '',
        check: rebuilt === fill.events ? `ok: ${rebuilt.toLocaleString('en')} applied` : `FAIL: applied ${rebuilt}, wrote ${fill.events}`,
      },
      ...sampleRows,
      {
        scenario,
        measure: `ours: report → every view consistent, ${samples.length} reports`,
        count: voidedTotal,
        seconds: totals.reduce((a, b) => a + b, 0) / 1000,
        'per s': voidedTotal / (totals.reduce((a, b) => a + b, 0) / 1000),
        'p50 ms': p50,
        'p99 ms': percentile(totals, 99),
        'vs raw': formatRatio(ratio(p50, percentile(raw, 50))),
        goal: `< ${GOAL_MS / 1000} s: ${percentile(totals, 99) < GOAL_MS ? 'met' : 'MISSED'}`,
        check: `?atLeast waits ≤ ${AT_LEAST_TIMEOUT_MS / 1000} s: ${percentile(totals, 99) <= AT_LEAST_TIMEOUT_MS ? 'within' : 'EXCEEDED (503)'}`,
      },
      {
        scenario,
        measure: `raw pg: the account's events + the re-read streams, 2 SELECTs`,
        count: Math.round(samples.reduce((a, s) => a + s.raw.rows, 0) / samples.length),
        seconds: percentile(raw, 50) / 1000,
        'per s': samples[0].raw.rows / (samples[0].raw.ms / 1000),
        'p50 ms': percentile(raw, 50),
        'p99 ms': percentile(raw, 99),
        'vs raw': '',
        goal: '',
        check: 'reference: the I/O floor, envelopes as text, no JSON parsing',
      },
      {
        scenario,
        measure: `naive: readStream the same streams + foldDocuments, in memory`,
        count: Math.round(samples.reduce((a, s) => a + s.naiveDocs, 0) / samples.length),
        seconds: percentile(naive, 50) / 1000,
        'per s': '',
        'p50 ms': percentile(naive, 50),
        'p99 ms': percentile(naive, 99),
        'vs raw': formatRatio(ratio(percentile(naive, 50), percentile(raw, 50))),
        goal: '',
        check: 'reference: every document of those streams folded from scratch, nothing written',
      },
    ];
  } finally {
    await bench.close();
  }
}

const mib = (bytes: number) => Math.round(bytes / MiB);

/** Writes the year week by week; each week's appends are split by stream over the appenders. */
async function fillLog(
  ctx: BenchContext,
  backend: Backend,
  store: PostgresEventStore,
  clock: TickingClock,
  schools: School[],
  heavies: Heavy[],
  total: number,
): Promise<{ events: number; seconds: number }> {
  const progress = ctx.progress(`voiding ${backend}: write ${total.toLocaleString('en')} events (setup)`, total);
  const versions = new Map<string, number>();
  const heavyBy = new Map(heavies.map((h) => [h.accountId, h]));
  const random = rng(20261201);
  const finals = new Map<string, Map<string, number>>();
  let reserved = 0;
  const started = performance.now();
  const run = async (writes: Write[]) => {
    const lanes: Write[][] = Array.from({ length: APPENDERS[backend] }, () => []);
    for (const w of writes) lanes[hash(w.stream) % lanes.length].push(w);
    await Promise.all(
      lanes.map(async (lane) => {
        for (const w of lane) {
          const room = total - reserved;
          if (room <= 0) return;
          const events = w.events.length > room ? w.events.slice(0, room) : w.events;
          reserved += events.length;
          const version = versions.get(w.stream) ?? 0;
          const meta: AppendMetadata = { schoolId: w.schoolId, actor: w.actor, correlationId: uuidv7(), causationId: null };
          const result = await store.append(w.stream, version, events, meta);
          versions.set(w.stream, result.nextVersion);
          const heavy = heavyBy.get(w.actor.accountId);
          if (heavy) {
            heavy.ops += events.length;
            const at = result.events[0].recordedAt;
            if (heavy.firstRecordedAt === null || at < heavy.firstRecordedAt) heavy.firstRecordedAt = at;
          }
          progress.increment(events.length);
        }
      }),
    );
  };
  try {
    const accounts = schools.flatMap(accountWrites);
    clock.set(weekStart(0), 1000);
    await run(accounts);
    for (const h of heavies) h.accountVersion = versions.get(accountStream(h.accountId)) ?? 0;
    for (let week = 0; week < WEEKS && reserved < total; week++) {
      const perSchool = schools.map((school) => weekWrites(school, week, random, finals));
      // Interleave the schools through the week: the log is in the order of the school day.
      const writes = perSchool.flatMap((list) => list.map((w, i) => ({ w, at: i / list.length }))).sort((a, b) => a.at - b.at).map((x) => x.w);
      clock.set(weekStart(week), (5 * 86_400_000) / writes.length);
      await run(writes);
    }
  } finally {
    progress.stop();
  }
  return { events: reserved, seconds: (performance.now() - started) / 1000 };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface Sample {
  incidentId: string;
  position: Position;
  totalMs: number;
  voided: number;
  queried: number;
  reread: number;
  streams: number;
  streamNames: string[];
  refolded: string;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  phases: { append: number; toQuery: number; query: number; streams: number; commit: number; notify: number };
  sql: string;
  raw: { ms: number; rows: number };
  naiveMs: number;
  naiveDocs: number;
  profile?: { file: string; top: string };
}

async function reportAndWait(
  ctx: BenchContext,
  backend: Backend,
  runner: ProjectionRunner,
  store: CountingStore,
  pool: SqlPool,
  heavy: Heavy,
  setHook: (hook: ((position: Position) => void) | undefined) => void,
  profile: boolean,
): Promise<Sample> {
  if (!heavy.firstRecordedAt) throw new Error('the reported teacher wrote nothing');
  // The documents the voided operations touch, per view: what a correct runner must re-fold.
  const voidedEvents = (await store.inner.query({ accountId: heavy.accountId, recordedFrom: heavy.firstRecordedAt })).filter((e) => e.type !== 'AccountCreated');
  const affected = PROJECTORS.map((p) => [p.name, keysOfBatch(p, voidedEvents).size] as const).filter(([, n]) => n > 0);

  global.gc?.();
  const session = profile ? await startProfile() : undefined;
  const memBefore = process.memoryUsage();
  let rssPeak = memBefore.rss;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 5);
  store.reset();
  const sql = new SqlTimer();
  sql.start();
  const incidentId = uuidv7();
  const officer = heavy.school.officer;
  const event: NewEvent = {
    type: 'CredentialCompromiseReported',
    data: { incidentId, accountId: heavy.accountId, effectiveFrom: heavy.firstRecordedAt, suspectedSince: null, reportedBy: officer.accountId, note: 'bench: credentials leaked' },
  };
  let batchDone = 0;
  const t0 = performance.now();
  const written: AppendResult = await store.inner.append(accountStream(heavy.accountId), heavy.accountVersion, [event], {
    schoolId: heavy.school.schoolId,
    actor: officer,
    correlationId: uuidv7(),
    causationId: null,
  });
  const tAppended = performance.now();
  setHook((position) => {
    if (!batchDone && comparePositions(position, written.position) >= 0) batchDone = performance.now();
  });
  const reached = await runner.waitFor(written.position, 120_000);
  const t1 = performance.now();
  sql.stop();
  clearInterval(sampler);
  setHook(undefined);
  const memAfter = process.memoryUsage();
  rssPeak = Math.max(rssPeak, memAfter.rss);
  const profiled = session ? await stopProfile(session, backend) : undefined;
  if (!reached) throw new Error(`views not consistent 120 s after report of ${heavy.accountId}`);
  heavy.accountVersion = written.nextVersion;

  const c = store.counters;
  const streamNames = [...c.streamNames];
  const phases = {
    append: tAppended - t0,
    toQuery: (c.queryStart || tAppended) - tAppended,
    query: c.queryEnd - c.queryStart,
    streams: (c.streamsEnd || c.queryEnd) - c.queryEnd,
    commit: (batchDone || t1) - (c.streamsEnd || c.queryEnd),
    notify: t1 - (batchDone || t1),
  };
  const { rows: refoldedRows } = await pool.query<{ projection: string; n: number }>(
    `SELECT projection, count(*)::int AS n FROM view_document WHERE position = $1 GROUP BY projection ORDER BY projection`,
    [formatPosition(written.position)],
  );
  const refolded =
    affected.map(([name, n]) => `${name} ${(refoldedRows.find((r) => r.projection === name)?.n ?? 0).toLocaleString('en')}/${n.toLocaleString('en')}`).join(', ') +
    ' docs (kept/touched; the rest deleted, void only)';

  // References: what the same reads cost raw, and a naive fold of those streams in memory.
  const rawStarted = performance.now();
  const { rows: a } = await pool.query<{ envelope: string }>(`SELECT envelope FROM event_log WHERE actor_account_id = $1::uuid AND recorded_at >= $2::timestamptz`, [
    heavy.accountId,
    heavy.firstRecordedAt,
  ]);
  const { rows: b } = await pool.query<{ envelope: string }>(`SELECT envelope FROM event_log WHERE stream_id = ANY($1::text[])`, [streamNames]);
  const rawMs = performance.now() - rawStarted;
  const naiveStarted = performance.now();
  const naiveEvents = (await Promise.all(streamNames.map((s) => store.inner.readStream(s)))).flat().sort((x, y) => comparePositions(x.position, y.position));
  const ledger = runner.ledger();
  let naiveDocs = 0;
  for (const projector of PROJECTORS) naiveDocs += foldDocuments(projector as DocumentProjector, naiveEvents, undefined, ledger).size;
  const naiveMs = performance.now() - naiveStarted;

  return {
    incidentId,
    position: written.position,
    totalMs: t1 - t0,
    voided: voidedEvents.length,
    queried: c.queryEvents,
    reread: c.streamEvents,
    streams: streamNames.length,
    streamNames,
    refolded,
    rssBefore: memBefore.rss,
    rssPeak,
    rssAfter: memAfter.rss,
    heapBefore: memBefore.heapUsed,
    heapAfter: memAfter.heapUsed,
    phases,
    sql: sql.summary(),
    raw: { ms: rawMs, rows: a.length + b.length },
    naiveMs,
    naiveDocs,
    ...(profiled ? { profile: profiled } : {}),
  };
}


/** No grid still shows a lesson the reported teacher taught. */
async function verifyGrids(pool: SqlPool, heavy: Heavy): Promise<string> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM view_document WHERE projection = 'journal-grid'
        AND jsonb_path_exists(doc::jsonb, '$.lessons.*.taughtBy ? (@ == $t)', jsonb_build_object('t', $1::text))`,
    [heavy.accountId],
  );
  return rows[0].n === 0 ? 'ok: no grid shows their lessons' : `FAIL: ${rows[0].n} grids still show their lessons`;
}

/**
 * The grid check, and a few documents compared with `foldDocuments` of their source streams under
 * the runner's ledger: a grid, its corrections audit and catalog entry, the student parts a diary week reads.
 */
async function verify(store: PostgresEventStore, pool: SqlPool, runner: ProjectionRunner, heavy: Heavy, sample: Sample): Promise<string> {
  const grids = await verifyGrids(pool, heavy);
  if (grids.startsWith('FAIL')) return grids;
  const school = heavy.school;
  const ledger = runner.ledger();
  if (!ledger.windows(heavy.accountId).some((w) => w.incidentId === sample.incidentId)) return 'FAIL: the runner\'s ledger lacks the incident';
  const problems: string[] = [];
  const check = async (projector: DocumentProjector, key: string, streams: string[]) => {
    const events = (await Promise.all(streams.map((s) => store.readStream(s)))).flat().sort((x, y) => comparePositions(x.position, y.position));
    const expected = foldDocuments(projector, events, undefined, ledger).get(key) ?? null;
    const { rows } = await pool.query<{ doc: unknown }>(`SELECT doc FROM view_document WHERE projection = $1 AND key = $2`, [projector.name, key]);
    const actual = rows[0]?.doc ?? null;
    if (canonicalize(expected) !== canonicalize(actual)) problems.push(`${projector.name} ${key}`);
  };
  for (const period of [0, 2]) {
    const stream = journalStream(school.groups[0][0], school.periods[period]);
    await check(journalGrid as DocumentProjector, lessonsPartKey(school.groups[0][0], school.periods[period]), [stream]);
    await check(correctionsAudit as DocumentProjector, gridKey(school.groups[0][0], school.periods[period]), [stream]);
    await check(streamCatalog as DocumentProjector, stream, [stream]);
  }
  for (const [c, week] of [
    [0, 1],
    [3, 20],
  ] as const) {
    const period = Math.floor(week / 9);
    for (const group of school.groups[c].slice(0, 2)) {
      // A diary week is read from these parts (the diary keeps only day marks, which this workload has none of).
      await check(journalGrid as DocumentProjector, studentPartKey(group, school.periods[period], school.students[c][0]), [journalStream(group, school.periods[period])]);
    }
  }
  return problems.length === 0 ? `${grids}; 10 docs == foldDocuments(sources, ledger)` : `FAIL: differ from the fold: ${problems.join(', ')}`;
}

/** The event store the runner is handed: the real one, with the reads a re-fold makes counted. */
class CountingStore extends ForwardingEventStore<PostgresEventStore> {
  counters = CountingStore.fresh();

  static fresh() {
    return { queryEvents: 0, queryStart: 0, queryEnd: 0, streamEvents: 0, streamsEnd: 0, streamNames: new Set<string>() };
  }

  reset(): void {
    this.counters = CountingStore.fresh();
  }

  override async readStream(stream: string, fromVersion?: number): Promise<StoredEvent[]> {
    const events = await this.inner.readStream(stream, fromVersion);
    this.counters.streamEvents += events.length;
    this.counters.streamNames.add(stream);
    this.counters.streamsEnd = performance.now();
    return events;
  }

  override async query(filter: LogQuery): Promise<StoredEvent[]> {
    const started = performance.now();
    const events = await this.inner.query(filter);
    if (!this.counters.queryStart) this.counters.queryStart = started;
    this.counters.queryEnd = performance.now();
    this.counters.queryEvents += events.length;
    return events;
  }
}

/**
 * Times every node-postgres query while on (PostgreSQL only): the pool's and TypeORM's go through
 * Client.prototype.query, with a callback or a promise. Grouped by what the statement does.
 */
class SqlTimer {
  private readonly original = Client.prototype.query;
  private readonly groups = new Map<string, { calls: number; ms: number; rows: number }>();

  start(): void {
    const original = this.original as (...args: unknown[]) => unknown;
    const add = (text: string, ms: number, rows: number | null | undefined) => {
      const group = this.groups.get(kindOf(text)) ?? { calls: 0, ms: 0, rows: 0 };
      group.calls++;
      group.ms += ms;
      group.rows += rows ?? 0;
      this.groups.set(kindOf(text), group);
    };
    Client.prototype.query = function timed(this: Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      const started = performance.now();
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (error: unknown, result: { rowCount?: number | null } | undefined) => {
          add(text, performance.now() - started, result?.rowCount);
          (last as (e: unknown, r: unknown) => void)(error, result);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args) as Promise<{ rowCount?: number | null }> | undefined;
      if (result && typeof result.then === 'function') {
        result.then(
          (r) => add(text, performance.now() - started, r?.rowCount),
          () => add(text, performance.now() - started, 0),
        );
      }
      return result;
    } as typeof Client.prototype.query;
  }

  stop(): void {
    Client.prototype.query = this.original;
  }

  summary(): string {
    if (this.groups.size === 0) return 'none seen (not node-postgres)';
    return [...this.groups]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([kind, g]) => `${kind} ×${g.calls} ${g.ms.toFixed(0)} ms (${g.rows.toLocaleString('en')} rows)`)
      .join('; ');
  }
}

function kindOf(text: string): string {
  const sql = text.replace(/\s+/g, ' ').trim();
  if (/FROM event_log WHERE stream_id/.test(sql)) return 'readStream';
  if (/actor_account_id = /.test(sql)) return 'query(account, from)';
  if (/pg_snapshot_xmin/.test(sql) && /LIMIT/.test(sql)) return 'readAll';
  if (/^SELECT sources FROM view_document/.test(sql)) return 'plan: sources of affected docs';
  if (/^SELECT key, sources FROM view_document/.test(sql)) return 'commit: sources of re-folded docs';
  if (/^SELECT key, doc, sources FROM view_document/.test(sql)) return 'commit: load docs';
  if (/^INSERT INTO "view_document"/.test(sql)) return 'commit: upsert docs';
  if (/^DELETE FROM "view_document"/.test(sql)) return 'commit: delete docs';
  if (/^INSERT INTO view_document .*VALUES/.test(sql)) return 'flush: upsert documents';
  if (/^WITH gone AS \(DELETE FROM view_document/.test(sql)) return 'retired rows deleted';
  if (/projection_checkpoint/.test(sql)) return 'checkpoints';
  if (/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)/i.test(sql)) return sql.split(' ')[0].toUpperCase();
  if (/^INSERT INTO event_log/.test(sql)) return 'append';
  return sql.slice(0, 40);
}

// --- CPU profile of one report (BENCH_VOIDING_PROFILE=1) ---------------------------------------

const post = <T = unknown>(session: Session, method: string, params?: object) =>
  new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));

async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  return session;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function stopProfile(session: Session, backend: Backend): Promise<{ file: string; top: string }> {
  const { profile } = await post<{ profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] } }>(session, 'Profiler.stop');
  session.disconnect();
  const file = join(tmpdir(), `zhurnal-voiding-${backend}-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const perSample = totalMs / Math.max(1, profile.samples.length);
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0) * perSample);
  }
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14)
    .map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`)
    .join('; ');
  return { file, top: `${totalMs.toFixed(0)} ms sampled: ${top}` };
}

/**
 * `reset()` then `catchUp()`: every view rebuilt from position 0 into a new generation beside the
 * serving one (folded in memory, written once per flush), then switched to. The reference reads
 * the same events in the same batches with raw `pg` (the envelope text, keyset pages by the log's
 * order, JSON parsed): the floor of any rebuild that reads the log.
 */
async function shadowRebuild(ctx: BenchContext, scenario: string, dataSource: DataSource, store: EventStore, pool: SqlPool, events: number, bySchool: boolean): Promise<Row[]> {
  const batch = 2000;
  const progress = ctx.progress(`${scenario}: shadow rebuild${bySchool ? '' : " in the log's order"}`, events);
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  let rssPeak = rssBefore;
  let heapPeak = heapBefore;
  const runner = new ProjectionRunner(dataSource, store, PROJECTORS, {
    rebuildMemoryBytes: REBUILD_MEMORY_BYTES,
    rebuildFlushEvents: REBUILD_FLUSH_EVENTS,
    rebuildBatchSize: batch,
    rebuildBySchool: bySchool,
    onBatch: (n) => {
      progress.increment(n);
      const memory = process.memoryUsage();
      rssPeak = Math.max(rssPeak, memory.rss);
      heapPeak = Math.max(heapPeak, memory.heapUsed);
    },
  });
  const session = PROFILE_REBUILD ? await startProfile() : undefined;
  const timer = PROFILE_REBUILD ? new SqlTimer() : undefined;
  timer?.start();
  const started = performance.now();
  try {
    await runner.reset();
    await runner.catchUp();
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  timer?.stop();
  if (timer) ctx.note(`shadow rebuild SQL (count, Σ ms from call to result; prefetched reads overlap the folds): ${timer.summary()}`);
  if (session) {
    const profiled = await stopProfile(session, 'PostgreSQL');
    ctx.note(`shadow rebuild CPU profile ${profiled.file}: ${profiled.top}`);
  }
  const { rows: serving } = await pool.query<{ n: number; applied: string }>(
    `SELECT count(*)::int AS n, min(events_applied)::text AS applied FROM projection_checkpoint WHERE state = 'serving'`,
  );

  const rebuildRow: Row = {
    scenario,
    measure: bySchool
      ? `full rebuild into a shadow, school by school: reset + catchUp, ${PROJECTORS.length} views + voiding-facts, switched`
      : `the same rebuild in the log's order (rebuildBySchool: false, the way before; write-back budget ${mib(REBUILD_MEMORY_BYTES)} MiB)`,
    count: events,
    seconds,
    'per s': events / seconds,
    'p50 ms': '',
    'p99 ms': '',
    'vs raw': '',
    goal: bySchool ? `≥ 50,000 ev/s: ${events / seconds >= 50_000 ? 'met' : 'MISSED'}` : '',
    check:
      `${serving[0].n === PROJECTORS.length + 1 && Number(serving[0].applied) >= events ? 'ok' : 'FAIL'}: ${serving[0].n} views serving, ≥ ${Number(serving[0].applied).toLocaleString('en')} applied each; ` +
      `RSS ${mib(rssBefore)}→peak ${mib(rssPeak)} MiB, heap used ${mib(heapBefore)}→peak ${mib(heapPeak)} MiB`,
  };
  if (!bySchool) return [rebuildRow];
  const rawProgress = ctx.progress(`${scenario}: raw pg read of the log`, events);
  const rawStarted = performance.now();
  let read = 0;
  try {
    read = await rawPages(pool, batch, null, (n) => rawProgress.increment(n));
  } finally {
    rawProgress.stop();
  }
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  const school = await rawReadBySchool(ctx, scenario, pool, events, batch);
  return [
    { ...rebuildRow, 'vs raw': formatRatio(ratio(seconds, rawSeconds)) },
    {
      scenario,
      measure: `raw pg: the same events read in pages of ${batch}, envelope JSON parsed`,
      count: read,
      seconds: rawSeconds,
      'per s': read / rawSeconds,
      'p50 ms': '',
      'p99 ms': '',
      'vs raw': '',
      goal: '',
      check: read === events ? 'reference: the floor of reading the log' : `FAIL: read ${read}, log has ${events}`,
    },
    {
      scenario,
      measure: `raw pg: the same events read school by school (index school_id, tx_id, seq) in pages of ${batch}, envelope JSON parsed`,
      count: school.read,
      seconds: school.seconds,
      'per s': school.read / school.seconds,
      'p50 ms': '',
      'p99 ms': '',
      'vs raw': formatRatio(ratio(school.seconds, rawSeconds)),
      goal: '',
      check: school.read === events ? `reference: what the rebuild reads (${school.schools} parts: schools and no school)` : `FAIL: read ${school.read}, log has ${events}`,
    },
  ];
}

/** The log as a rebuild reads it: school by school, each in the log's order (raw `pg`, envelope JSON parsed). */
async function rawReadBySchool(ctx: BenchContext, scenario: string, pool: SqlPool, events: number, batch: number): Promise<{ read: number; seconds: number; schools: number }> {
  const progress = ctx.progress(`${scenario}: raw pg read by school`, events);
  const started = performance.now();
  let read = 0;
  const { rows: schools } = await pool.query<{ school_id: string | null }>(`SELECT DISTINCT school_id::text FROM event_log`);
  try {
    for (const { school_id: school } of schools) read += await rawPages(pool, batch, { school }, (n) => progress.increment(n));
  } finally {
    progress.stop();
  }
  return { read, seconds: (performance.now() - started) / 1000, schools: schools.length };
}

/** Keyset pages of the log (of one school, or of no school, when `only` says), envelopes parsed: how many events. */
async function rawPages(pool: SqlPool, batch: number, only: { school: string | null } | null, progress: (events: number) => void): Promise<number> {
  const where = only === null ? '' : only.school === null ? 'school_id IS NULL AND ' : 'school_id = $3::uuid AND ';
  let read = 0;
  let after = { tx: '0', seq: '0' };
  for (;;) {
    const { rows } = await pool.query<{ tx_id: string; seq: string; envelope: string }>(
      `SELECT tx_id::text, seq::text, envelope FROM event_log WHERE ${where}(event_log.tx_id, event_log.seq) > ($1::xid8, $2::bigint) ORDER BY event_log.tx_id, event_log.seq LIMIT ${batch}`,
      only?.school ? [after.tx, after.seq, only.school] : [after.tx, after.seq],
    );
    if (rows.length === 0) return read;
    for (const row of rows) JSON.parse(row.envelope);
    read += rows.length;
    progress(rows.length);
    const last = rows[rows.length - 1];
    after = { tx: last.tx_id, seq: last.seq };
  }
}
