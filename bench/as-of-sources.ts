import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import canonicalize from 'canonicalize';
import { assembleGrid, evolveGrid, gridKey, journalGrid, JournalGridDoc } from '../projections/journal-grid/journal-grid.projector';
import { foldDocuments } from '../projections/projector';
import { JsonBody } from '../src/common/json-body';
import { Database, DATABASE } from '../src/database/database';
import { StoredEvent } from '../src/event-store/envelope';
import { EventSourcedRepository } from '../src/event-store/event-sourced-repository';
import { EVENT_STORE, EventStore } from '../src/event-store/event-store.port';
import { journalStream } from '../src/journal/domain/journal.decider';
import { JournalViews } from '../src/journal/journal-views';
import { schoolDecider, SchoolState, schoolStream } from '../src/school/domain/school.decider';
import { latencySummary, Row } from './report';

/**
 * asOf, two ways, side by side in the server's process (no HTTP, so the sources are compared and
 * not the framework): folding the journal's stream up to the moment (what the service does), and
 * "versioned rows" — a bench-only table with one row per version of each journal entry
 * (valid_from/valid_to), read with one indexed query per request. Both give the grid as JSON.
 */

const VERSIONED_TABLE = `
CREATE TABLE bench_journal_entry_version (
  grid_key text NOT NULL,
  kind text NOT NULL,
  entry_id text NOT NULL,
  student_id text,
  entry_order int NOT NULL,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  data jsonb NOT NULL
);
CREATE INDEX bench_journal_entry_version_asof ON bench_journal_entry_version (grid_key, valid_from) INCLUDE (valid_to)`;

interface VersionRow {
  kind: 'lesson' | 'mark' | 'attendance' | 'final' | 'locked' | 'student' | 'subject';
  entryId: string;
  studentId: string | null;
  /** Index of the entry's first version: the fold keeps an entry where it first appeared. */
  order: number;
  validFrom: string;
  validTo: string | null;
  data: unknown;
}

/** The rows a versioned-rows projection would have written for this stream: each event closes the entry's open version and opens the next. */
function versionRows(events: readonly StoredEvent[]): VersionRow[] {
  const rows: VersionRow[] = [];
  const open = new Map<string, VersionRow>();
  const put = (kind: VersionRow['kind'], entryId: string, studentId: string | null, at: string, data: unknown) => {
    const id = `${kind}:${entryId}`;
    const previous = open.get(id);
    if (previous) previous.validTo = at;
    const row: VersionRow = { kind, entryId, studentId, order: previous?.order ?? rows.length, validFrom: at, validTo: null, data };
    rows.push(row);
    open.set(id, row);
  };
  let doc: JournalGridDoc | null = null;
  for (const event of events) {
    const before: JournalGridDoc | null = doc;
    doc = evolveGrid(doc, event);
    const d = event.data as { lessonId?: string; markId?: string; attendanceId?: string; studentId?: string; studentIds?: string[] };
    const at = event.recordedAt;
    switch (event.type) {
      case 'LessonRecorded':
        for (const student of d.studentIds ?? []) if (!before?.studentIds.includes(student)) put('student', student, student, at, null);
        if (doc.subjectId !== before?.subjectId) put('subject', 'subject', null, at, doc.subjectId);
        put('lesson', d.lessonId!, null, at, doc.lessons[d.lessonId!]);
        break;
      case 'LessonCorrected':
        if (doc.lessons[d.lessonId!]) put('lesson', d.lessonId!, null, at, doc.lessons[d.lessonId!]);
        break;
      case 'MarkRecorded':
      case 'MarkCorrected':
        if (doc.marks[d.studentId!]?.[d.markId!]) put('mark', d.markId!, d.studentId!, at, doc.marks[d.studentId!][d.markId!]);
        break;
      case 'AttendanceRecorded':
      case 'AttendanceCorrected':
        if (doc.attendance[d.studentId!]?.[d.attendanceId!]) put('attendance', d.attendanceId!, d.studentId!, at, doc.attendance[d.studentId!][d.attendanceId!]);
        break;
      case 'FinalMarkSet':
        put('final', d.studentId!, d.studentId!, at, doc.finalMarks[d.studentId!]);
        break;
      case 'PeriodLocked':
      case 'PeriodUnlocked':
        put('locked', 'locked', null, at, doc.locked);
        break;
    }
  }
  return rows;
}

const AS_OF_QUERY = `
SELECT kind, entry_id, student_id, data FROM bench_journal_entry_version
 WHERE grid_key = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)
 ORDER BY entry_order`;

/** The grid document as of the moment, from the rows valid then (in the order their entries first appeared, as the fold keeps them). */
function documentFromRows(groupId: string, periodId: string, rows: { kind: string; entry_id: string; student_id: string | null; data: unknown }[]): JournalGridDoc | undefined {
  if (rows.length === 0) return undefined;
  const doc: JournalGridDoc = { groupId, periodId, subjectId: null, locked: false, lessons: {}, marks: {}, attendance: {}, finalMarks: {}, studentIds: [] };
  for (const row of rows) {
    switch (row.kind) {
      case 'student':
        doc.studentIds.push(row.entry_id);
        break;
      case 'subject':
        doc.subjectId = row.data as string;
        break;
      case 'lesson':
        doc.lessons[row.entry_id] = row.data as JournalGridDoc['lessons'][string];
        break;
      case 'mark':
        (doc.marks[row.student_id!] ??= {})[row.entry_id] = row.data as JournalGridDoc['marks'][string][string];
        break;
      case 'attendance':
        (doc.attendance[row.student_id!] ??= {})[row.entry_id] = row.data as JournalGridDoc['attendance'][string][string];
        break;
      case 'final':
        doc.finalMarks[row.entry_id] = row.data as JournalGridDoc['finalMarks'][string];
        break;
      case 'locked':
        doc.locked = row.data as boolean;
        break;
    }
  }
  return doc;
}

/** `workers` callers at once for `seconds`, each going through the moments in turn; latencies of every call. */
async function measure(seconds: number, workers: number, moments: readonly Date[], call: (moment: Date) => Promise<unknown>) {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = w; performance.now() < until; i++) {
        const t0 = performance.now();
        await call(moments[i % moments.length]);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { calls: latencies.length, perSecond: latencies.length / seconds, ...latencySummary(latencies) };
}

export async function compareAsOfSources(app: NestFastifyApplication, ids: { schoolId: string; groupId: string; periodId: string }, moments: readonly Date[], seconds: number, note: (message: string) => void): Promise<Row[]> {
  const database = app.get<Database>(DATABASE);
  const store = app.get<EventStore>(EVENT_STORE);
  const views = app.get(JournalViews);
  const school: SchoolState = (await app.get(EventSourcedRepository).load(schoolStream(ids.schoolId), schoolDecider)).state;
  const stream = journalStream(ids.groupId, ids.periodId);
  const key = gridKey(ids.groupId, ids.periodId);
  const buildGrid = (doc: JournalGridDoc | undefined) => views['buildGrid'](school, ids.groupId, ids.periodId, doc);

  // The versioned rows, written as a projection would have written them.
  const events = await store.readStream(stream);
  const rows = versionRows(events);
  await database.pool.query(VERSIONED_TABLE);
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await database.pool.query(
      `INSERT INTO bench_journal_entry_version SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $8::int[], $5::timestamptz[], $6::timestamptz[], $7::jsonb[])`,
      [key, chunk.map((r) => r.kind), chunk.map((r) => r.entryId), chunk.map((r) => r.studentId), chunk.map((r) => r.validFrom), chunk.map((r) => r.validTo), chunk.map((r) => JSON.stringify(r.data)), chunk.map((r) => r.order)],
    );
  }
  await database.pool.query('VACUUM ANALYZE bench_journal_entry_version');
  const [sizes] = (
    await database.pool.query<{ rows_bytes: string; log_bytes: string; log_events: string }>(
      `SELECT pg_total_relation_size('bench_journal_entry_version')::text AS rows_bytes,
              (SELECT sum(pg_column_size(e.*))::text FROM event_log e WHERE stream_id = $1) AS log_bytes,
              (SELECT count(*)::text FROM event_log WHERE stream_id = $1) AS log_events`,
      [stream],
    )
  ).rows;

  const fromRows = async (moment: Date) => {
    const { rows: found } = await database.pool.query<{ kind: string; entry_id: string; student_id: string | null; data: unknown }>(AS_OF_QUERY, [key, moment.toISOString()]);
    return JsonBody.of(buildGrid(documentFromRows(ids.groupId, ids.periodId, found)));
  };
  const foldFromLog = async (moment: Date) => {
    const at = moment.toISOString();
    const upTo = (await store.readStream(stream)).filter((e) => e.recordedAt <= at);
    return JsonBody.of(buildGrid(assembleGrid(ids.groupId, ids.periodId, foldDocuments(journalGrid, upTo).values())));
  };
  const foldKept = (moment: Date) => views.gridBody(school, ids.groupId, ids.periodId, moment);

  // Same answer from every source, or the timings mean nothing.
  let mismatches = 0;
  for (const moment of moments) {
    const [a, b, c] = await Promise.all([fromRows(moment), foldFromLog(moment), foldKept(moment)]);
    // jsonb keeps an object's keys in its own order: compare the RFC 8785 texts.
    const [x, y, z] = [a, b, c].map((body) => canonicalize(JSON.parse(body.bytes.toString('utf8'))));
    if (x !== y || y !== z) mismatches++;
  }
  const check = mismatches === 0 ? `ok: same JSON at all ${moments.length} moments` : `MISMATCH at ${mismatches} of ${moments.length} moments`;

  const sources: [string, string, (moment: Date) => Promise<unknown>][] = [
    ['fold from the log (stream read each time)', `${events.length.toLocaleString('en')} events in the log`, foldFromLog],
    ['fold of the kept stream from its nearest snapshot (the service)', 'no extra storage (memory: parsed events, snapshots)', foldKept],
    ['versioned rows (one indexed query)', `${rows.length.toLocaleString('en')} rows, ${Math.round(Number(sizes.rows_bytes) / 1024).toLocaleString('en')} KiB with index (the stream's events: ${Math.round(Number(sizes.log_bytes) / 1024).toLocaleString('en')} KiB)`, fromRows],
  ];
  const result: Row[] = [];
  let reference: number | undefined;
  for (const [source, storage, call] of sources) {
    const r = await measure(seconds, 10, moments, call);
    reference ??= r.p99;
    result.push({
      request: `asOf in-process: ${source}`,
      connections: 10,
      seconds,
      requests: r.calls,
      'req/s': Math.round(r.perSecond),
      'p50 ms': Number(r.p50.toFixed(1)),
      'p99 ms': Number(r.p99.toFixed(1)),
      storage,
      check,
    });
  }
  note(`asOf sources: ${moments.length} moments (one after each lesson's marks), each caller going through them in turn; 10 callers at once in the server's process, no HTTP; JSON serialisation included in every source.`);
  return result;
}
