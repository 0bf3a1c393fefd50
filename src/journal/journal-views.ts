import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { dayPart, DiaryWeekDoc, diary, diaryKey, mergeDiaryWeek, mondayOf } from '../../projections/diary/diary.projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { assembleGrid, GridPart, gridPrefix, gridPrefixEnd, journalGrid, JournalGridDoc } from '../../projections/journal-grid/journal-grid.projector';
import { foldDocuments } from '../../projections/projector';
import { isVoid } from '../security/domain/voiding';
import { noSuch, notFound } from '../common/domain-error';
import { Database, DATABASE } from '../database/database';
import { StoredEvent } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { comparePositions } from '../event-store/position';
import { JsonBody } from '../common/json-body';
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
}

/** Built views kept per process; the oldest go first. A grid is ~200 KB of JSON, a diary week ~5 KB. */
class BuiltViews<View> {
  private readonly entries = new Map<string, Built<View>>();
  constructor(private readonly capacity: number) {}
  get(key: string): Built<View> | undefined {
    return this.entries.get(key);
  }
  set(key: string, entry: Built<View>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

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
  private readonly grids = new BuiltViews<Grid>(100);
  private readonly diaries = new BuiltViews<Diary>(2000);
  private readonly logged: LoggedStreams;
  /** asOf grids by the exact prefix of the journal's stream they show. */
  private readonly gridsAsOf = new BuiltViews<Grid>(20);
  private readonly snapshots = new GridSnapshots(50);

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
  ) {
    this.logged = new LoggedStreams(store);
  }

  async grid(school: SchoolState, groupId: string, periodId: string, asOf?: Date): Promise<Grid> {
    if (!school.groups[groupId]) throw notFound('group');
    if (!school.periods[periodId]) throw noSuch('periodId', 'period of this school');
    if (asOf) return (await this.gridAsOf(school, groupId, periodId, asOf)).view;
    const parts = { from: gridPrefix(groupId, periodId), to: gridPrefixEnd(groupId, periodId) };
    return (await this.current(this.grids, 'journal-grid', parts.from, parts, school, (docs: (GridPart | undefined)[]) => this.buildGrid(school, groupId, periodId, assembleGrid(groupId, periodId, present(docs))))).view;
  }

  /** The grid as the JSON API.md gives, serialised once per built grid. */
  async gridBody(school: SchoolState, groupId: string, periodId: string, asOf?: Date): Promise<JsonBody> {
    if (!school.groups[groupId]) throw notFound('group');
    if (!school.periods[periodId]) throw noSuch('periodId', 'period of this school');
    if (asOf) return bodyOf(await this.gridAsOf(school, groupId, periodId, asOf));
    await this.grid(school, groupId, periodId);
    return bodyOf(this.grids.get(gridPrefix(groupId, periodId))!);
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
      return { position: '', school, checkedAt: '', doc, view: this.buildGrid(school, groupId, periodId, doc) };
    }
    const memoKey = `${stream}@${included}`;
    const kept = this.gridsAsOf.get(memoKey);
    if (kept && kept.school === school) return kept;
    const doc = assembleGrid(groupId, periodId, this.snapshots.fold(stream, all, included).values());
    const entry = { position: memoKey, school, checkedAt: '', doc, view: this.buildGrid(school, groupId, periodId, doc) };
    this.gridsAsOf.set(memoKey, entry);
    return entry;
  }

  /**
   * The view built from the current stored documents: the kept one while the runner has not moved
   * since it was checked, or while the documents' positions and the school's state are unchanged.
   * One round trip; a document itself only comes back when its position moved.
   */
  private async current<Doc, View>(
    kept: BuiltViews<View>,
    projection: string,
    cacheKey: string,
    selection: readonly string[] | KeyRange,
    school: SchoolState,
    build: (docs: (Doc | undefined)[]) => View,
  ): Promise<Built<View>> {
    const checkedAt = this.runner.stamp(projection);
    const cached = kept.get(cacheKey);
    if (cached && cached.school === school && cached.checkedAt === checkedAt) return cached;
    const cachedDocs = (cached?.doc ?? {}) as Record<string, { position: string; doc: Doc }>;
    const known = Object.keys(cachedDocs);
    // A document's position names its generation too: a rebuild's switch may leave it at the same position.
    // Only the rows whose position moved carry their document; the selection is a key range (a grid's parts) or a list.
    const [where, bounds] = isRange(selection) ? ['v.key >= $4 AND v.key < $5 ORDER BY v.key', [selection.from, selection.to]] : ['v.key = ANY($4::text[])', [selection]];
    const { rows } = await this.database.pool.query<{ key: string; position: string; doc: Doc | null }>(
      `SELECT v.key, v.generation || '@' || v.position AS position, CASE WHEN v.generation || '@' || v.position = c.position THEN NULL ELSE v.doc END AS doc
         FROM served_document v LEFT JOIN unnest($2::text[], $3::text[]) AS c(key, position) ON c.key = v.key
        WHERE v.projection = $1 AND ${where}`,
      [projection, known, known.map((key) => cachedDocs[key].position), ...bounds],
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    const keys = isRange(selection) ? rows.map((row) => row.key) : selection;
    const position = keys.map((key) => byKey.get(key)?.position ?? 'none').join(',');
    if (cached && cached.position === position) {
      const entry = cached.school === school ? { ...cached, checkedAt } : { ...cached, school, checkedAt, body: undefined, view: build(keys.map((key) => cachedDocs[key]?.doc)) };
      kept.set(cacheKey, entry);
      return entry;
    }
    const docs: Record<string, { position: string; doc: Doc }> = {};
    for (const key of keys) {
      const row = byKey.get(key);
      if (row) docs[key] = { position: row.position, doc: row.doc ?? cachedDocs[key].doc };
    }
    const entry: Built<View> = { position, school, checkedAt, doc: docs, view: build(keys.map((key) => docs[key]?.doc)) };
    kept.set(cacheKey, entry);
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
    const keys = this.diaryParts(school, studentId).map((part) => diaryKey(studentId, monday, part));
    const week = (parts: (DiaryWeekDoc | undefined)[]) => this.buildDiary(school, studentId, monday, mergeDiaryWeek(studentId, monday, parts));
    if (asOf) {
      const docs = foldDocuments(diary, await this.eventsUpTo(this.diaryStreams(school, studentId, monday), asOf), undefined, this.runner.ledgerAsOf(asOf));
      return { view: week(keys.map((key) => docs.get(key))) };
    }
    return this.current(this.diaries, 'diary', `${studentId}:${monday}`, keys, school, week);
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

  /** The parts a student's diary week is kept in: their classes' groups (and fixed groups they are in), and their classes' day marks. */
  private diaryParts(school: SchoolState, studentId: string): string[] {
    const classes = classesOfStudent(school, studentId);
    const groups = Object.values(school.groups).filter((g) => classes.includes(g.classId) || g.studentIds?.includes(studentId));
    return [...groups.map((g) => g.groupId), ...classes.map(dayPart)];
  }

  /** Every stream a week of a student's diary can draw on: the journals of their classes' groups, and day absences. */
  private diaryStreams(school: SchoolState, studentId: string, monday: string): string[] {
    const sunday = addDays(monday, 6);
    const classes = classesOfStudent(school, studentId);
    const groups = Object.values(school.groups).filter((g) => classes.includes(g.classId) || g.studentIds?.includes(studentId));
    const streams = classes.map(dailyAbsencesStream);
    for (const group of groups) {
      const year = school.years[school.classes[group.classId].yearId];
      for (const period of year.periods) if (period.startsOn <= sunday && monday <= period.endsOn) streams.push(journalStream(group.groupId, period.periodId));
    }
    return streams;
  }


  /** The events of these streams recorded at or before the moment, in global order. */
  private async eventsUpTo(streams: string[], asOf: Date): Promise<StoredEvent[]> {
    const moment = asOf.toISOString();
    const events = (await Promise.all(streams.map((stream) => this.logged.read(stream)))).flat().filter((e) => e.recordedAt <= moment);
    return events.sort((a, b) => comparePositions(a.position, b.position));
  }
}

/** The documents whose keys lie in `[from, to)` (keys compare bytewise). */
interface KeyRange {
  readonly from: string;
  readonly to: string;
}
const isRange = (selection: readonly string[] | KeyRange): selection is KeyRange => !Array.isArray(selection);
const present = <T>(docs: (T | undefined)[]): T[] => docs.filter((doc): doc is T => doc !== undefined);

/** How many events of a journal stream lie between two kept snapshots of its grid. */
export const SNAPSHOT_EVERY = 64;

/**
 * Grid documents folded over the first n × SNAPSHOT_EVERY events of a journal stream, kept in
 * memory. Evolve never changes a document in place, so a snapshot shares all but what the events
 * after it replaced with the next one: keeping them costs little. Events never change, so a
 * snapshot of a prefix stays true for as long as the stream exists.
 */
export class GridSnapshots {
  private readonly streams = new Map<string, Map<number, Map<string, GridPart>>>();
  constructor(private readonly capacity: number) {}

  /** The documents after the first `count` events of the stream. */
  fold(stream: string, events: readonly StoredEvent[], count: number): Map<string, GridPart> {
    const kept = this.streams.get(stream) ?? new Map<number, Map<string, GridPart>>();
    this.streams.delete(stream);
    this.streams.set(stream, kept);
    if (this.streams.size > this.capacity) this.streams.delete(this.streams.keys().next().value as string);
    let at = Math.floor(count / SNAPSHOT_EVERY) * SNAPSHOT_EVERY;
    while (at > 0 && !kept.has(at)) at -= SNAPSHOT_EVERY;
    let docs = kept.get(at) ?? new Map<string, GridPart>();
    for (let next = at + SNAPSHOT_EVERY; next <= count; next += SNAPSHOT_EVERY) {
      docs = foldDocuments(journalGrid, events.slice(next - SNAPSHOT_EVERY, next), docs);
      kept.set(next, docs);
      at = next;
    }
    return at === count ? docs : foldDocuments(journalGrid, events.slice(at, count), docs);
  }
}

/**
 * Streams read for asOf folds, kept in memory: the log is append-only and events never change, so a
 * stream read once needs only its tail (one indexed query that usually returns nothing) after that.
 * At most `maxEvents` events in all; the streams read least recently go first.
 */
export class LoggedStreams {
  private readonly streams = new Map<string, readonly StoredEvent[]>();
  private total = 0;

  constructor(
    private readonly store: EventStore,
    private readonly maxEvents = 50_000,
  ) {}

  async read(stream: string): Promise<readonly StoredEvent[]> {
    const before = this.streams.get(stream) ?? [];
    const tail = await this.store.readStream(stream, before.length + 1);
    // Another read may have grown (or dropped) the kept stream meanwhile: start from the longer one.
    const latest = this.streams.get(stream) ?? [];
    const base = latest.length >= before.length ? latest : before;
    const events = tail.length > 0 && tail[tail.length - 1].streamVersion > base.length ? [...base, ...tail.filter((event) => event.streamVersion > base.length)] : base;
    this.total += events.length - latest.length;
    this.streams.delete(stream);
    this.streams.set(stream, events);
    while (this.total > this.maxEvents && this.streams.size > 1) {
      const [oldest, dropped] = this.streams.entries().next().value as [string, readonly StoredEvent[]];
      this.streams.delete(oldest);
      this.total -= dropped.length;
    }
    return events;
  }
}

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
