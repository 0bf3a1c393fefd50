/**
 * The suggested period mark (seed 003 §11): the weighted mean of the period's marks, half rounding
 * up — 2.5 → 3, 3.5 → 4, 4.5 → 5. Integer arithmetic only, so 3.4999… can never appear.
 */
export interface WeightedMark {
  value: number;
  weight: number;
}

export interface Suggestion {
  /**
   * The weighted mean cut to 2 decimals (not rounded: 2.4966 shows as 2.49, never as a 2.50 that
   * would seem to promise a 3), or null without marks.
   */
  average: number | null;
  suggested: '2' | '3' | '4' | '5' | 'Н/А';
}

/** A school setting: fewer marks than this and the student is not attested. */
export const DEFAULT_MIN_MARKS = 3;

export function suggestFinalMark(marks: readonly WeightedMark[], minMarks = DEFAULT_MIN_MARKS): Suggestion {
  const totalWeight = marks.reduce((sum, mark) => sum + mark.weight, 0);
  if (marks.length === 0 || totalWeight === 0) return { average: null, suggested: 'Н/А' };
  const weightedSum = marks.reduce((sum, mark) => sum + mark.value * mark.weight, 0);
  const average = Math.floor((100 * weightedSum) / totalWeight) / 100;
  if (marks.length < minMarks) return { average, suggested: 'Н/А' };
  // Half up of S/W to a whole mark, in integers: floor((2S + W) / 2W).
  const whole = Math.floor((2 * weightedSum + totalWeight) / (2 * totalWeight));
  const suggested = String(Math.min(5, Math.max(2, whole))) as Suggestion['suggested'];
  return { average, suggested };
}
