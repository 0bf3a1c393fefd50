import type { FinalValue } from '../../journal/domain/journal.types';

/**
 * How a student stands on a set of final marks (one period's, or the year's), the categories a
 * Russian school's class report counts (seed 003 §5, §12; seed 004 «Отчёт по классу»):
 * - `excellent` (отличник): only 5s; `good` (хорошист): only 4s and 5s, at least one 4;
 *   `one-three` (с одной «3»): one 3, the rest 4s and 5s; `satisfactory`: more 3s, no 2;
 * - `failing` (неуспевающий): a 2 or a «Н/А» (not attested counts as not successful);
 * - `deferred`: no 2 and no «Н/А», but a final mark deferred for illness (§12): not yet attested,
 *   so left out of the success and quality rates until it is set;
 * - `none`: no final mark at all yet (left out too).
 * «ОСВ» (exempt) neither helps nor hurts: a student exempt from one subject is judged on the others;
 * one exempt from everything is counted successful and of quality (as `good`, never `excellent`).
 */
export type Standing = 'excellent' | 'good' | 'one-three' | 'satisfactory' | 'failing' | 'deferred' | 'none';

export function standingOf(finals: readonly (FinalValue | null)[]): Standing {
  const set = finals.filter((value): value is FinalValue => value !== null);
  if (set.length === 0) return 'none';
  if (set.some((value) => value === '2' || value === 'Н/А')) return 'failing';
  if (set.includes('deferred')) return 'deferred';
  const graded = set.filter((value) => value !== 'ОСВ');
  const threes = graded.filter((value) => value === '3').length;
  if (threes === 0) return graded.length > 0 && graded.every((value) => value === '5') ? 'excellent' : 'good';
  return threes === 1 ? 'one-three' : 'satisfactory';
}

export const isCounted = (standing: Standing) => standing !== 'deferred' && standing !== 'none';
export const isSuccessful = (standing: Standing) => isCounted(standing) && standing !== 'failing';
/** Knowledge quality (качество знаний): only 4s and 5s. */
export const isOfQuality = (standing: Standing) => standing === 'excellent' || standing === 'good';

export interface Rates {
  /** Students whose standing counts (attested: not deferred, not without marks). */
  counted: number;
  successful: number;
  ofQuality: number;
  /** successful / counted × 100, one decimal; null when nobody counts. */
  successRate: number | null;
  qualityRate: number | null;
}

const percent = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 10);

/** Success rate (успеваемость) and knowledge quality (качество знаний) over students' standings (SPEC §7). */
export function ratesOf(standings: readonly Standing[]): Rates {
  const counted = standings.filter(isCounted).length;
  const successful = standings.filter(isSuccessful).length;
  const ofQuality = standings.filter(isOfQuality).length;
  return { counted, successful, ofQuality, successRate: percent(successful, counted), qualityRate: percent(ofQuality, counted) };
}

/** The mean of the graded final marks (2–5; ОСВ, Н/А and deferrals left out), two decimals, or null. */
export function averageOf(finals: readonly (FinalValue | null)[]): number | null {
  const graded = finals.filter((value): value is '2' | '3' | '4' | '5' => value === '2' || value === '3' || value === '4' || value === '5').map(Number);
  return graded.length === 0 ? null : Math.round((graded.reduce((a, b) => a + b, 0) / graded.length) * 100) / 100;
}
