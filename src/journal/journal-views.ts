import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { assembleDiaryWeek, dayPart, DayMarksDoc, DiaryWeekDoc, diary, diaryKey, mondayOf } from '../../projections/diary/diary.projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { assembleGrid, GridLessonsPart, GridPart, gridPrefix, gridPrefixEnd, GridStudentPart, journalGrid, JournalGridDoc, lessonsPartKey, studentPartKey } from '../../projections/journal-grid/journal-grid.projector';
import { foldDocuments } from '../../projections/projector';
import { isVoid } from '../security/domain/voiding';
import { noSuch, notFound } from '../common/domain-error';
import { Database, DATABASE } from '../database/database';
import { StoredEvent } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { comparePositions } from '../event-store/position';
import { JsonBody } from '../common/json-body';
import { ByteBoundedCache } from '../common/byte-bounded-cache';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../operations/metrics';
import { classesOfStudent, groupRoster, SchoolState } from '../school/domain/school.decider';
import { addDays } from './domain/deadlines';
import { dailyAbsencesStream } from './domain/daily-absences.decider';
import { journalStream } from './domain/journal.decider';
import { suggestFinalMark } from './domain/final-mark-suggestion';

/**
 * The journal grid, the diary week and final-mark suggestions, as API.md shapes them. Now: from the
 * projections' documents. `asOf`: folded from the log up to that moment with the same pure
 * projectors — a view "exactly as it stood then" that no stored row has to remember.
 */
type Grid = ReturnType<JournalViews['buildGrid']>;
type Diary = ReturnType<JournalViews['buildDiary']>;

/** A built view, and the stored document and school state it was built from. */
interface Built<View> {
  /** Position of the stored document ('none' when there is none). */
  position: string;
  school: SchoolState;
  /** The runner's position when the document was last checked: unchanged, no document has moved. */
  checkedAt: string;
  /** The stored document the view was built from (to rebuild when only the school moved). */
  doc: unknown;
  view: View;
  body?: JsonBody;
  /** What it holds in memory, estimated (see `builtBytes`). */
  bytes: number;
}

/**
 * What a built view weighs, from the JSON text of the documents it was built from: the parsed
 * documents (≈ 3× their text in a V8 heap), the view made of them (as much again) and its
 * serialised body (≈ the text). Counted apart from the shared document cache, so an overestimate.
 */
const builtBytes = (docTextBytes: number) => 7 * docTextBytes + 1024;
/** A parsed JSON document in a V8 heap, from the length of its text. */
const parsedBytes = (textBytes: number) => 3 * textBytes + 64;

/** Shares of VIEW_CACHE_MB: the stored documents, built grids, built diary weeks, and the asOf folds. */
const VIEW_CACHE_SHARES = { documents: 0.35, grids: 0.25, diaries: 0.25, asOf: 0.15 } as const;

/**
 * The journal grid, the diary week and final-mark suggestions, as API.md shapes them. Now: from the
 * projections' documents. `asOf`: folded from the log up to that moment with the same pure
 * projectors — a view "exactly as it stood then" that no stored row has to remember.
 */
@Injectable()
export class JournalViews {
  /**
   * Built views (and their JSON), reused while neither the stored document (its position) nor the
   * school's structure (its state object: evolve never changes one in place) has moved. While the
   * runner's position stands still no document can have moved, so then not even the document's
   * position is read: a repeated GET costs no round trip.
   */
  private readonly grids: ByteBoundedCache<Built<Grid>>;
  private readonly diaries: ByteBoundedCache<Built<Diary>>;
  /** Stored documents the built views were made of, by `projection key`: a lessons part fetched for one diary serves the class's other 24. */
  private readonly documents: ByteBoundedCache<StoredDoc>;
  private readonly logged: LoggedStreams;
  /** asOf grids by the exact prefix of the journal's stream they show. */
  private readonly gridsAsOf: ByteBoundedCache<Built<Grid>>;
  private readonly snapshots: GridSnapshots;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(EVENT_STORE) store: EventStore,
    private readonly runner: ProjectionRunner,
    @Optional() @Inject(APP_CONFIG) config?: Pick<AppConfig, 'VIEW_CACHE_MB'>,
    @Optional() metrics?: Metrics,
  ) {
    // Held to bytes, not counts: one 30 × 60 grid weighs what a thousand small diary weeks do.
    const budget = (share: number) => Math.floor((config?.VIEW_CACHE_MB ?? 128) * 1024 * 1024 * share);
    this.grids = new ByteBoundedCache(budget(VIEW_CACHE_SHARES.grids));
    this.diaries = new ByteBoundedCache(budget(VIEW_CACHE_SHARES.diaries));
    this.documents = new ByteBoundedCache(budget(VIEW_CACHE_SHARES.documents));
    this.gridsAsOf = new ByteBoundedCache(budget(VIEW_CACHE_SHARES.asOf / 3));
    this.snapshots = new GridSnapshots(budget(VIEW_CACHE_SHARES.asOf / 3));
    this.logged = new LoggedStreams(store, budget(VIEW_CACHE_SHARES.asOf / 3));
    metrics?.watchCacheBytes('views', () => this.cachedBytes);
  }

  /** What the built views, their documents and the asOf folds are estimated to hold (≤ VIEW_CACHE_MB). */
  get cachedBytes(): number {
    return this.grids.bytes + this.diaries.bytes + this.documents.bytes + this.gridsAsOf.bytes + this.snapshots.bytes + this.logged.bytes;
  }

  async grid(school: SchoolState, groupId: string, periodId: string, asOf?: Date): Promise<Grid> {
    return (await this.gridEntry(school, groupId, periodId, asOf)).view;
  }

  /** The grid as the JSON API.md gives, serialised once per built grid. */
  async gridBody(school: SchoolState, groupId: string, periodId: string, asOf?: Date): Promise<JsonBody> {
    return bodyOf(await this.gridEntry(school, groupId, periodId, asOf));
  }

  private async gridEntry(school: SchoolState, groupId: string, periodId: string, asOf?: Date): Promise<Built<Grid>> {
    if (!school.groups[groupId]) throw notFound('group');
    if (!school.periods[periodId]) throw noSuch('periodId', 'period of this school');
    if (asOf) return this.gridAsOf(school, groupId, periodId, asOf);
    const parts = { from: gridPrefix(groupId, periodId), to: gridPrefixEnd(groupId, periodId) };
    return this.current(this.grids, parts.from, { projection: journalGrid.name, ...parts }, school, (docs: (GridPart | undefined)[]) => this.buildGrid(school, groupId, periodId, assembleGrid(groupId, periodId, present(docs))));
  }

  /**
   * The grid as it stood at the moment: the journal's stream folded up to it. The fold starts from
   * the nearest kept snapshot (every SNAPSHOT_EVERY events of the stream), so it folds at most that
   * many events; and the built grid is kept for the exact set of events it shows (a later request
   * whose moment falls between the same two events gets it as is).
   */
  private async gridAsOf(school: SchoolState, groupId: string, periodId: string, asOf: Date): Promise<Built<Grid>> {
    const stream = journalStream(groupId, periodId);
    const moment = asOf.toISOString();
    const all = await this.logged.read(stream);
    let included = 0;
    while (included < all.length && all[included].recordedAt <= moment) included++;
    // Recorded times follow stream order unless two processes' clocks disagree: then fold the exact set, no snapshots.
    const prefix = all.slice(included).every((event) => event.recordedAt > moment);
    // Snapshots fold every event; with voids known at the moment among them, fold the exact set under that ledger.
    const ledger = this.runner.ledgerAsOf(asOf);
    const voids = all.slice(0, included).some((event) => isVoid(ledger, event));
    if (!prefix || voids) {
      const doc = assembleGrid(groupId, periodId, foldDocuments(journalGrid, all.filter((event) => event.recordedAt <= moment), undefined, ledger).values());
      return { position: '', school, checkedAt: '', doc, view: this.buildGrid(school, groupId, periodId, doc), bytes: 0 };
    }
    const memoKey = `${stream}@${included}`;
    const kept = this.gridsAsOf.get(memoKey);
    if (kept && kept.school === school) return kept;
    const doc = assembleGrid(groupId, periodId, this.snapshots.fold(stream, all, included).values());
    const view = this.buildGrid(school, groupId, periodId, doc);
    // No stored text to weigh it by: the view's own once (an asOf read folds far more than this costs).
    const entry = { position: memoKey, school, checkedAt: '', doc, view, bytes: builtBytes(JSON.stringify(view).length) };
    this.gridsAsOf.set(memoKey, entry, entry.bytes);
    return entry;
  }

  /**
   * The view built from the current stored documents: the kept one while the views it reads have
   * not moved since it was checked, or while the documents' positions and the school's state are
   * unchanged. One round trip; a document itself only comes back when its position moved, and one
   * another view fetched (a journal's lessons part is in 25 students' diaries) is not sent again.
   */
  private async current<Doc, View>(kept: ByteBoundedCache<Built<View>>, cacheKey: string, selection: Selection, school: SchoolState, build: (docs: (Doc | undefined)[]) => View): Promise<Built<View>> {
    const projections = isRange(selection) ? [selection.projection] : [...new Set(selection.map((s) => s.projection))];
    const checkedAt = projections.map((name) => this.runner.stamp(name)).join('|');
    const cached = kept.get(cacheKey);
    if (cached && cached.school === school && cached.checkedAt === checkedAt) return cached;
    const known: Record<string, StoredDoc<Doc>> = {};
    if (!isRange(selection)) {
      for (const { projection, key } of selection) {
        const shared = this.documents.get(documentId(projection, key)) as StoredDoc<Doc> | undefined;
        if (shared) known[documentId(projection, key)] = shared;
      }
    }
    Object.assign(known, cached?.doc);
    const ids = Object.keys(known);
    // A document's position names its generation too: a rebuild's switch may leave it at the same position.
    // Only the rows whose position moved carry their document; the selection is a key range (a grid's parts) or a list.
    const [from, where, bounds] = isRange(selection)
      ? ['served_document v', 'WHERE v.projection = $3 AND v.key >= $4 AND v.key < $5 ORDER BY v.key', [selection.projection, selection.from, selection.to]]
      : ['unnest($3::text[], $4::text[]) AS s(projection, key) JOIN served_document v ON v.projection = s.projection AND v.key = s.key', '', [selection.map((s) => s.projection), selection.map((s) => s.key)]];
    const { rows } = await this.database.pool.query<{ id: string; position: string; doc: Doc | null; bytes: number | null }>(
      `SELECT v.projection || ' ' || v.key AS id, v.generation || '@' || v.position AS position,
              CASE WHEN v.generation || '@' || v.position = c.position THEN NULL ELSE v.doc END AS doc,
              CASE WHEN v.generation || '@' || v.position = c.position THEN NULL ELSE octet_length(v.doc::text) END AS bytes
         FROM ${from} LEFT JOIN unnest($1::text[], $2::text[]) AS c(id, position) ON c.id = v.projection || ' ' || v.key
        ${where}`,
      [ids, ids.map((id) => known[id].position), ...bounds],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const selected = isRange(selection) ? rows.map((row) => row.id) : selection.map((s) => documentId(s.projection, s.key));
    const position = selected.map((id) => byId.get(id)?.position ?? 'none').join(',');
    if (cached && cached.position === position) {
      const entry = cached.school === school ? { ...cached, checkedAt } : { ...cached, school, checkedAt, body: undefined, view: build(selected.map((id) => known[id]?.doc)) };
      kept.set(cacheKey, entry, entry.bytes);
      return entry;
    }
    const docs: Record<string, StoredDoc<Doc>> = {};
    let textBytes = 0;
    for (const id of selected) {
      const row = byId.get(id);
      if (!row) continue;
      docs[id] = row.doc === null ? known[id] : { position: row.position, doc: row.doc, textBytes: Number(row.bytes) };
      textBytes += docs[id].textBytes;
      // Lists only (diary weeks): they share a journal's lessons part; a grid's parts stay with the grid.
      if (!isRange(selection)) this.documents.set(id, docs[id], parsedBytes(docs[id].textBytes));
    }
    const entry: Built<View> = { position, school, checkedAt, doc: docs, view: build(selected.map((id) => docs[id]?.doc)), bytes: builtBytes(textBytes) };
    kept.set(cacheKey, entry, entry.bytes);
    return entry;
  }

  private buildGrid(school: SchoolState, groupId: string, periodId: string, doc: JournalGridDoc | undefined) {
    const group = school.groups[groupId];
    const period = school.periods[periodId];
    const lessons = Object.values(doc?.lessons ?? {}).sort((a, b) => a.date.localeCompare(b.date) || a.slot - b.slot);
    const studentIds = [...new Set([...(doc?.studentIds ?? []), ...groupRoster(school, groupId, period.endsOn), ...Object.keys(doc?.marks ?? {})])];
    const students = studentIds
      .map((id) => ({
        id,
        fullName: school.students[id]?.fullName ?? null,
        marks: Object.values(doc?.marks[id] ?? {}).filter((m) => m.value !== null),
        attendance: Object.values(doc?.attendance[id] ?? {}).filter((a) => a.code !== null),
        finalMark: doc?.finalMarks[id] ?? null,
      }))
      .sort((a, b) => byName.compare(a.fullName ?? '', b.fullName ?? ''));
    return {
      group: { id: groupId, name: group.name },
      subject: { id: group.subjectId, name: school.subjects[group.subjectId]?.name ?? null },
      period: { id: periodId, name: period.name, startsOn: period.startsOn, endsOn: period.endsOn },
      // A substitution lesson names the teacher replaced; an ordinary one keeps API.md's shape.
      lessons: lessons.map(({ workKinds: _w, substitutesFor, ...lesson }) => (substitutesFor ? { ...lesson, substitutesFor } : lesson)),
      students,
      locked: doc?.locked ?? false,
    };
  }

  async suggestions(school: SchoolState, groupId: string, periodId: string, minMarks: number, asOf?: Date) {
    const grid = await this.grid(school, groupId, periodId, asOf);
    return {
      items: grid.students.map((student) => ({
        studentId: student.id,
        ...suggestFinalMark(
          student.marks.map((m) => ({ value: m.value as number, weight: m.weight })),
          minMarks,
        ),
      })),
    };
  }

  async diary(school: SchoolState, studentId: string, weekOf: string, asOf?: Date): Promise<Diary> {
    return (await this.diaryEntry(school, studentId, weekOf, asOf)).view;
  }

  /** The diary week as the JSON API.md gives, serialised once per built week. */
  async diaryBody(school: SchoolState, studentId: string, weekOf: string, asOf?: Date): Promise<JsonBody> {
    return bodyOf(await this.diaryEntry(school, studentId, weekOf, asOf));
  }

  private async diaryEntry(school: SchoolState, studentId: string, weekOf: string, asOf?: Date): Promise<Pick<Built<Diary>, 'view' | 'body'>> {
    if (!school.students[studentId]) throw notFound('student');
    const monday = mondayOf(weekOf);
    const sources = this.diarySources(school, studentId, monday);
    const journalKeys = sources.journals.flatMap(({ groupId, periodId }) => [lessonsPartKey(groupId, periodId), studentPartKey(groupId, periodId, studentId)]);
    const dayKeys = sources.classes.map((classId) => diaryKey(studentId, monday, dayPart(classId)));
    const week = (docs: unknown[]) => {
      const journals = sources.journals.map((_, i) => ({ lessons: docs[2 * i] as GridLessonsPart | undefined, student: docs[2 * i + 1] as GridStudentPart | undefined }));
      return this.buildDiary(school, studentId, monday, assembleDiaryWeek(studentId, monday, journals, docs.slice(journalKeys.length) as (DayMarksDoc | undefined)[]));
    };
    if (asOf) {
      const ledger = this.runner.ledgerAsOf(asOf);
      const streams = sources.journals.map(({ groupId, periodId }) => journalStream(groupId, periodId));
      const parts = foldDocuments(journalGrid, await this.eventsUpTo(streams, asOf), undefined, ledger);
      const days = foldDocuments(diary, await this.eventsUpTo(sources.classes.map(dailyAbsencesStream), asOf), undefined, ledger);
      return { view: week([...journalKeys.map((key) => parts.get(key)), ...dayKeys.map((key) => days.get(key))]) };
    }
    const selection = [...journalKeys.map((key) => ({ projection: journalGrid.name, key })), ...dayKeys.map((key) => ({ projection: diary.name, key }))];
    return this.current(this.diaries, `${studentId}:${monday}`, selection, school, week);
  }

  private buildDiary(school: SchoolState, studentId: string, monday: string, doc: DiaryWeekDoc | undefined) {
    const student = school.students[studentId];
    const lessons = Object.values(doc?.lessons ?? {}).sort((a, b) => a.date.localeCompare(b.date) || a.slot - b.slot);
    const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i)).filter((date, i) => i < 6 || lessons.some((l) => l.date === date));
    const days = dates.map((date) => ({
      date,
      lessons: lessons
        .filter((l) => l.date === date)
        .map((l) => ({
          lessonId: l.lessonId,
          subject: school.subjects[l.subjectId]?.name ?? null,
          topic: l.topic,
          homework: l.homework,
          marks: Object.values(l.marks)
            .filter((m) => m.value !== null)
            .map((m) => ({ id: m.id, value: m.value, workKind: m.workKind })),
          attendance: l.attendance ?? doc?.dailyAbsences[date] ?? null,
        })),
    }));
    return {
      student: { id: studentId, fullName: student.fullName },
      week: { startsOn: monday, endsOn: addDays(monday, 6) },
      days,
      version: diaryVersion(days),
    };
  }

  /**
   * What a student's diary week is read from: the journals (group × period overlapping the week)
   * of their classes' groups and of the fixed groups they are in, and their classes' day marks.
   */
  private diarySources(school: SchoolState, studentId: string, monday: string): { journals: { groupId: string; periodId: string }[]; classes: string[] } {
    const sunday = addDays(monday, 6);
    const classes = classesOfStudent(school, studentId);
    const groups = Object.values(school.groups).filter((g) => classes.includes(g.classId) || g.studentIds?.includes(studentId));
    const journals: { groupId: string; periodId: string }[] = [];
    for (const group of groups) {
      const year = school.years[school.classes[group.classId].yearId];
      for (const period of year.periods) if (period.startsOn <= sunday && monday <= period.endsOn) journals.push({ groupId: group.groupId, periodId: period.periodId });
    }
    return { journals, classes };
  }

  /** The events of these streams recorded at or before the moment, in global order. */
  private async eventsUpTo(streams: string[], asOf: Date): Promise<StoredEvent[]> {
    const moment = asOf.toISOString();
    const events = (await Promise.all(streams.map((stream) => this.logged.read(stream)))).flat().filter((e) => e.recordedAt <= moment);
    return events.sort((a, b) => comparePositions(a.position, b.position));
  }
}

/** The documents of a view whose keys lie in `[from, to)` (keys compare bytewise). */
interface KeyRange {
  readonly projection: string;
  readonly from: string;
  readonly to: string;
}
/** A key range of one view, or a list of documents of any views. */
type Selection = KeyRange | readonly { readonly projection: string; readonly key: string }[];
const isRange = (selection: Selection): selection is KeyRange => !Array.isArray(selection);
/** A stored document as a read last saw it: the position (generation@position) names its version. */
interface StoredDoc<Doc = unknown> {
  position: string;
  doc: Doc;
  /** Length of its stored JSON text, in bytes: what it weighs in the caches. */
  textBytes: number;
}
const documentId = (projection: string, key: string) => `${projection} ${key}`;
const present = <T>(docs: (T | undefined)[]): T[] => docs.filter((doc): doc is T => doc !== undefined);

/** How many events of a journal stream lie between two kept snapshots of its grid. */
export const SNAPSHOT_EVERY = 64;

/**
 * Grid documents folded over the first n × SNAPSHOT_EVERY events of a journal stream, kept in
 * memory. Evolve never changes a document in place, so a snapshot shares all but what the events
 * after it replaced with the next one: keeping them costs little, and each snapshot is weighed by
 * the parts it does not share with the one before. Events never change, so a snapshot of a prefix
 * stays true for as long as the stream exists. Held to `budgetBytes`; the streams folded least
 * recently go first.
 */
export class GridSnapshots {
  private readonly streams: ByteBoundedCache<{ snapshots: Map<number, Map<string, GridPart>>; bytes: number }>;
  constructor(budgetBytes: number) {
    this.streams = new ByteBoundedCache(budgetBytes);
  }

  get bytes(): number {
    return this.streams.bytes;
  }

  /** The documents after the first `count` events of the stream. */
  fold(stream: string, events: readonly StoredEvent[], count: number): Map<string, GridPart> {
    const kept = this.streams.get(stream) ?? { snapshots: new Map<number, Map<string, GridPart>>(), bytes: 0 };
    let at = Math.floor(count / SNAPSHOT_EVERY) * SNAPSHOT_EVERY;
    while (at > 0 && !kept.snapshots.has(at)) at -= SNAPSHOT_EVERY;
    let docs = kept.snapshots.get(at) ?? new Map<string, GridPart>();
    for (let next = at + SNAPSHOT_EVERY; next <= count; next += SNAPSHOT_EVERY) {
      const before = docs;
      docs = foldDocuments(journalGrid, events.slice(next - SNAPSHOT_EVERY, next), docs);
      kept.snapshots.set(next, docs);
      for (const [key, part] of docs) if (before.get(key) !== part) kept.bytes += parsedBytes(JSON.stringify(part).length);
      at = next;
    }
    this.streams.set(stream, kept, kept.bytes + 256);
    return at === count ? docs : foldDocuments(journalGrid, events.slice(at, count), docs);
  }
}

/**
 * Streams read for asOf folds, kept in memory: the log is append-only and events never change, so a
 * stream read once needs only its tail (one indexed query that usually returns nothing) after that.
 * Held to `budgetBytes` (events weighed by their data's JSON); the streams read least recently go first.
 */
export class LoggedStreams {
  private readonly streams: ByteBoundedCache<{ events: readonly StoredEvent[]; bytes: number }>;

  constructor(
    private readonly store: EventStore,
    budgetBytes = 32 * 1024 * 1024,
  ) {
    this.streams = new ByteBoundedCache(budgetBytes);
  }

  get bytes(): number {
    return this.streams.bytes;
  }

  async read(stream: string): Promise<readonly StoredEvent[]> {
    const before = this.streams.get(stream)?.events ?? [];
    const tail = await this.store.readStream(stream, before.length + 1);
    // Another read may have grown (or dropped) the kept stream meanwhile: start from the longer one.
    const latest = this.streams.peek(stream) ?? { events: [], bytes: 0 };
    const base = latest.events.length >= before.length ? latest.events : before;
    const added = tail.length > 0 && tail[tail.length - 1].streamVersion > base.length ? tail.filter((event) => event.streamVersion > base.length) : [];
    if (added.length === 0 && base === latest.events) return base;
    const events = [...base, ...added];
    const bytes = (base === latest.events ? latest.bytes : eventsBytes(base)) + eventsBytes(added);
    this.streams.set(stream, { events, bytes }, bytes);
    return events;
  }
}

/** Stored events in a V8 heap, roughly: their data's JSON text parsed, and the envelope. */
const eventsBytes = (events: readonly StoredEvent[]) => events.reduce((sum, event) => sum + parsedBytes(JSON.stringify(event.data).length) + 512, 0);

/** Serialised once per built view (a Buffer with its ETag), kept with it. */
function bodyOf(entry: Pick<Built<unknown>, 'view' | 'body'>): JsonBody {
  return (entry.body ??= JsonBody.of(entry.view));
}

/** One collator: `localeCompare(x, 'ru')` builds a new one on every call. */
const byName = new Intl.Collator('ru');

/** Changes whenever what the diary shows changes: a digest of its content (RFC 8785 text). */
export function diaryVersion(days: unknown): string {
  return createHash('sha256').update(canonicalize(days) ?? '').digest('hex').slice(0, 16);
}
