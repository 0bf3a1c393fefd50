import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/app-config';
import { PostgresEventStore } from '../src/event-store/postgres/postgres-event-store';
import { generateSigner } from '../src/ledger/domain/note';
import { LedgerBuilder } from '../src/ledger/ledger-builder';
import { exportLedger } from '../src/ledger/ledger-export';
import { LedgerProofs } from '../src/ledger/ledger-proofs';
import { LedgerStore } from '../src/ledger/ledger-store';
import { verifyExportDir } from '../src/verifier/export';
import { BenchContext, BenchDatabase, envInt, Section } from './context';
import { cannon } from './http-reads.bench';
import { formatRatio, latencySummary, ratio, Row } from './report';
import { benchEvent, benchMetadata } from './workload';

/**
 * Issue 15's figures for the audit ledger, on PostgreSQL, each beside its reference in the same run:
 * appends with the ledger's builder running against appends without it; how long after its write
 * an event has a receipt, writing at 1,000 events/s; an inclusion proof over HTTP against the
 * cheapest route of the same server; building, exporting and verifying a ledger of a million
 * events against reading (or hashing) the same bytes raw.
 */
const APPENDS = envInt('BENCH_LEDGER_APPENDS', 20_000);
const WRITERS = 8;
/** Rounds with and without the builder, alternated: a single pair varies ±5% on this machine. */
const ROUNDS = envInt('BENCH_LEDGER_ROUNDS', 3);
const PACED_SECONDS = envInt('BENCH_LEDGER_PACED_SECONDS', 20);
const PACED_RATE = 1000;
const EXPORT_EVENTS = envInt('BENCH_LEDGER_EXPORT_EVENTS', 1_000_000);
const HTTP_SECONDS = envInt('BENCH_LEDGER_HTTP_SECONDS', 10);
const ORIGIN = 'bench.zhurnal/ledger';
/** Which scenarios run (default all): appends, receipts, http, export — comma-separated. */
const SCENARIOS = new Set((process.env.BENCH_LEDGER_SCENARIOS ?? 'appends,receipts,http,export').split(',').map((name) => name.trim()));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (from: number) => (performance.now() - from) / 1000;

/** One key per database: a builder with another key rightly refuses to sign on from its checkpoints. */
const { signer: SIGNER, signerKey: SIGNER_KEY } = generateSigner(ORIGIN);

function builderFor(events: PostgresEventStore, store: LedgerStore, signer = SIGNER): LedgerBuilder {
  return new LedgerBuilder(events, store, { origin: ORIGIN, signers: [signer], checkpointEvery: 1000, checkpointIntervalMs: 10_000, pollIntervalMs: 200 });
}

/** `count` single-event appends from 8 writers, each to its own streams; events/s. */
async function appendRound(events: PostgresEventStore, round: string, count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let i = writer; i < count; i += WRITERS) {
        const event = benchEvent(i);
        await events.append(`${round}-${writer}-${Math.floor(i / 800)}`, 'any', [{ type: event.type, data: event.data }], benchMetadata());
      }
    }),
  );
  return count / seconds(started);
}

async function appendsWithAndWithout(db: BenchDatabase, ctx: BenchContext): Promise<Row[]> {
  const events = new PostgresEventStore(db.database.pool, { kind: 'postgres' });
  const store = new LedgerStore(db.database.pool);
  const builder = builderFor(events, store);
  const without: number[] = [];
  const withLedger: number[] = [];
  const batches: number[] = [];
  const bar = ctx.progress('ledger: appends with and without the builder', 2 * ROUNDS);
  await appendRound(events, 'warm-up', 1000);
  await builder.catchUp();
  for (let round = 0; round < ROUNDS; round++) {
    without.push(await appendRound(events, `without-${round}`, APPENDS));
    bar.increment();
    // The builder first catches up on the round without it, so it measures only its running alongside.
    await builder.catchUp();
    const batchesBefore = builder.batchesStored;
    builder.start();
    const started = performance.now();
    withLedger.push(await appendRound(events, `with-${round}`, APPENDS));
    await builder.stop();
    batches.push((builder.batchesStored - batchesBefore) / seconds(started));
    bar.increment();
  }
  bar.stop();
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const ours = mean(withLedger);
  const pairs = without.map((w, i) => ratio(withLedger[i], w));
  ctx.note(`ledger: appends with/without the builder, round by round: ${pairs.map((r) => formatRatio(r)).join(', ')}`);
  ctx.note(`ledger: while appending, the builder stored ${mean(batches).toFixed(1)} batches a second (one transaction each)`);
  const reference = mean(without);
  return [
    {
      scenario: `${APPENDS.toLocaleString('en')} single-event appends, ${WRITERS} writers, the ledger's builder running in the same process (${ROUNDS} rounds each, alternated)`,
      events: APPENDS * ROUNDS,
      'events/s': Math.round(ours),
      'p50 ms': '',
      'p99 ms': '',
      reference: `the same appends without the builder: ${Math.round(reference).toLocaleString('en')} events/s`,
      ratio: formatRatio(ratio(ours, reference)),
      goal: '≥ 0.95× without',
      met: ours >= 0.95 * reference ? 'yes' : 'no',
    },
  ];
}

/** Writes at 1,000 events/s; every 20th event asks for its receipt until it has one. */
async function receiptLatency(db: BenchDatabase, ctx: BenchContext): Promise<Row[]> {
  const events = new PostgresEventStore(db.database.pool, { kind: 'postgres' });
  const store = new LedgerStore(db.database.pool);
  const builder = builderFor(events, store);
  const proofs = new LedgerProofs(store, events);
  await builder.catchUp({ sign: 'now' });
  builder.start();
  const latencies: number[] = [];
  const waits: Promise<void>[] = [];
  const total = PACED_SECONDS * PACED_RATE;
  const bar = ctx.progress('ledger: writing at 1,000 events/s, receipts', total);
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let i = writer; i < total; i += WRITERS) {
          const due = started + (i / PACED_RATE) * 1000;
          if (due > performance.now()) await sleep(due - performance.now());
          const event = benchEvent(i);
          const { events: written } = await events.append(`paced-${writer}-${Math.floor(i / 800)}`, 'any', [{ type: event.type, data: event.data }], benchMetadata());
          bar.increment();
          if (i % 20 !== 0) continue;
          const answered = performance.now();
          waits.push(
            (async () => {
              for (;;) {
                try {
                  await proofs.receipt(written[0].eventId);
                  latencies.push(performance.now() - answered);
                  return;
                } catch {
                  await sleep(50);
                }
              }
            })(),
          );
        }
      }),
    );
    const rate = total / seconds(started);
    await Promise.all(waits);
    const { p50, p99 } = latencySummary(latencies);
    return [
      {
        scenario: `a receipt (inclusion proof + a signed checkpoint over it) after the write, writing ${Math.round(rate).toLocaleString('en')} events/s for ${PACED_SECONDS} s (builder polling every 200 ms as the service's default; checkpoints every 1,000 events or 10 s; asked every 50 ms)`,
        events: latencies.length,
        'events/s': Math.round(rate),
        'p50 ms': Math.round(p50),
        'p99 ms': Math.round(p99),
        reference: '',
        ratio: '',
        goal: 'p99 ≤ 15 s',
        met: p99 <= 15_000 ? 'yes' : 'no',
      },
    ];
  } finally {
    bar.stop();
    await builder.stop();
  }
}

/** Inclusion proofs of 200 events in turn over HTTP (autocannon in its own process), beside GET /ledger/key on the same server. */
async function proofsOverHttp(db: BenchDatabase, ctx: BenchContext): Promise<Row[]> {
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(loadConfig({ DATABASE_URL: db.url!, LOG_LEVEL: 'silent', DB_POOL_SIZE: '10', LEDGER_ORIGIN: ORIGIN, LEDGER_SIGNING_KEY: SIGNER_KEY }));
    await app.listen(0, '127.0.0.1');
    const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    // The server first catches its views up on the log it found (events no view folds): measured once it has.
    for (let waited = 0; waited < 60_000; waited += 250) {
      const health = await fetch(`${origin}/health`).then((r) => r.json() as Promise<{ info?: { views?: { lagSeconds?: number } } }>).catch(() => null);
      if (health?.info?.views?.lagSeconds === 0) break;
      await sleep(250);
    }
    const { rows: ids } = await db.database.pool.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM ledger_leaf ORDER BY random() LIMIT 200`);
    const checkpoint = await new LedgerStore(db.database.pool).latestCheckpoint();
    ctx.note(`ledger: inclusion proofs in a tree of ${checkpoint?.size.toLocaleString('en')} leaves, 200 events asked in turn; autocannon in its own process`);
    const paths = ids.map((row) => `/api/v1/ledger/proofs/inclusion?eventId=${row.event_id}`);
    const rows: Row[] = [];
    // Unloaded (one client: a proof's own latency) and saturated (10 at once on these 2 cores).
    for (const connections of [1, 10]) {
      const reference = await cannon(origin, ['/api/v1/ledger/key'], '', HTTP_SECONDS, {}, connections);
      const ours = await cannon(origin, paths, '', HTTP_SECONDS, {}, connections);
      rows.push({
        scenario: `GET /ledger/proofs/inclusion over HTTP, ${connections} connection(s) (${ours.requests.toLocaleString('en')} requests, ${ours.non2xx} not 2xx)`,
        events: ours.requests,
        'events/s': Math.round(ours.rps),
        'p50 ms': ours.p50,
        'p99 ms': ours.p99,
        reference: `GET /ledger/key, no database: ${Math.round(reference.rps).toLocaleString('en')} req/s, p99 ${reference.p99} ms`,
        ratio: formatRatio(ratio(ours.p99, reference.p99)),
        goal: 'p99 < 5 ms',
        met: ours.p99 < 5 && ours.non2xx === 0 ? 'yes' : 'no',
      });
    }
    return rows;
  } finally {
    await app?.close();
  }
}

/** Writes EXPORT_EVENTS events (1,000 an append), builds their ledger, exports it, verifies the export. */
async function millionEvents(db: BenchDatabase, ctx: BenchContext): Promise<Row[]> {
  const events = new PostgresEventStore(db.database.pool, { kind: 'postgres' });
  const store = new LedgerStore(db.database.pool);
  const signer = SIGNER;
  const builder = builderFor(events, store, signer);
  const write = ctx.progress('ledger: writing the log to export', EXPORT_EVENTS);
  for (let i = 0; i < EXPORT_EVENTS; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, EXPORT_EVENTS - i) }, (_, j) => benchEvent(i + j)).map((event) => ({ type: event.type, data: event.data }));
    await events.append(`bulk-${i / 1000}`, 'no-stream', batch, benchMetadata());
    write.increment(batch.length);
  }
  write.stop();

  // Reference for the build: reading the same stored entries raw, in the same order and pages.
  const rawStarted = performance.now();
  let rawBytes = 0;
  let after = { major: 0n, minor: 0n };
  for (;;) {
    const page = await events.readEntries(after, 2000);
    if (page.length === 0) break;
    for (const entry of page) rawBytes += entry.entry.length;
    after = page[page.length - 1].position;
  }
  const rawSeconds = seconds(rawStarted);

  const buildStarted = performance.now();
  await builder.catchUp({ sign: 'now' });
  const buildSeconds = seconds(buildStarted);
  const size = (await store.state()).size;

  const dir = await mkdtemp(join(tmpdir(), 'zhurnal-ledger-export-'));
  try {
    const exportBar = ctx.progress('ledger: export', size);
    const exportStarted = performance.now();
    let exported = 0;
    await exportLedger(store, events, dir, {
      vkey: signer.vkey,
      onProgress: (done) => {
        exportBar.increment(done - exported);
        exported = done;
      },
    });
    const exportSeconds = seconds(exportStarted);
    exportBar.stop();

    // Reference for the verifier: SHA-256 of every entry alone (no tree, no tiles, no files).
    after = { major: 0n, minor: 0n };
    const entries: Buffer[] = [];
    for (;;) {
      const page = await events.readEntries(after, 5000);
      if (page.length === 0) break;
      for (const entry of page) entries.push(Buffer.from(entry.entry, 'utf8'));
      after = page[page.length - 1].position;
    }
    const hashOnly = performance.now();
    for (const entry of entries) createHash('sha256').update(entry).digest();
    const hashSeconds = seconds(hashOnly);
    entries.length = 0;

    const verifyBar = ctx.progress('ledger: verify the export', size);
    let verified = 0;
    const verifyStarted = performance.now();
    const report = await verifyExportDir(dir, {
      keys: [signer.vkey],
      onProgress: (leaves) => {
        verifyBar.increment(Number(leaves) - verified);
        verified = Number(leaves);
      },
    });
    const verifySeconds = seconds(verifyStarted);
    verifyBar.stop();
    ctx.note(`ledger: the export of ${size.toLocaleString('en')} entries (${(rawBytes / 2 ** 20).toFixed(0)} MiB of envelopes) verified: ${report.checks.length} checks, ${report.warnings.length} warnings`);
    const row = (scenario: string, secs: number, reference: string, referenceSecs: number | null, goal = '', met = '') => ({
      scenario,
      events: size,
      'events/s': Math.round(size / secs),
      'p50 ms': '',
      'p99 ms': '',
      seconds: Number(secs.toFixed(1)),
      reference,
      ratio: referenceSecs === null ? '' : formatRatio(ratio(referenceSecs, secs)),
      goal,
      met,
    });
    return [
      row(`build the ledger of ${size.toLocaleString('en')} stored events (leaves, tiles, a signed checkpoint)`, buildSeconds, `reading the same entries raw: ${rawSeconds.toFixed(1)} s`, rawSeconds),
      row('export it as files (tlog-tiles: entries, tiles, checkpoints)', exportSeconds, '', null),
      row('npm run verify of the export (every entry hashed, every tile, every checkpoint)', verifySeconds, `SHA-256 of every entry in memory alone: ${hashSeconds.toFixed(1)} s`, hashSeconds, '< 10 s for 1,000,000', size >= 1_000_000 ? (verifySeconds < 10 ? 'yes' : 'no') : `n/a (${size} events)`),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const auditLedgerSection: Section = {
  name: 'ledger',
  async run(ctx) {
    if (!ctx.backends.includes('PostgreSQL')) {
      ctx.note(`ledger: skipped, the goals are for PostgreSQL and ${ctx.postgresSkipReason}`);
      return [];
    }
    const rows: Row[] = [];
    const small = await ctx.openDatabase('PostgreSQL', { poolSize: 16 });
    try {
      if (SCENARIOS.has('appends')) rows.push(...(await appendsWithAndWithout(small, ctx)));
      if (SCENARIOS.has('receipts')) rows.push(...(await receiptLatency(small, ctx)));
      if (SCENARIOS.has('http')) rows.push(...(await proofsOverHttp(small, ctx)));
    } finally {
      await small.close();
    }
    if (SCENARIOS.has('export')) {
      const big = await ctx.openDatabase('PostgreSQL', { poolSize: 4 });
      try {
        rows.push(...(await millionEvents(big, ctx)));
      } finally {
        await big.close();
      }
    }
    ctx.note('ledger: the builder, the writers and PostgreSQL share this 2-core machine; appends and receipts run in one process.');
    return rows;
  },
};
