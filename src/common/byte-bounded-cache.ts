/**
 * A least-recently-used map held to a budget of bytes, not of entries: one school's state with
 * 100,000 events folded and one small account's count as what they hold. The caller says what an
 * entry weighs (an estimate: measuring a folded state would cost more than keeping it). An entry
 * heavier than the whole budget is not kept at all.
 */
export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private total = 0;

  constructor(readonly budgetBytes: number) {}

  /** Bytes held now (≤ the budget). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Without touching its place in line. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.budgetBytes) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }
}

/** What a string costs in a JS heap, roughly: two bytes a character and a header. */
export const stringBytes = (text: string) => 2 * text.length + 32;
