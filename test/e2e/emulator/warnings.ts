/**
 * The apiserver's warning recorder: each webhook warning reaches the client once (duplicates and
 * empty texts dropped, texts with control characters too), and when the texts add up to more than
 * 4096 characters every warning is cut to 256 characters and those past the limit are dropped.
 */
const TOTAL_LIMIT = 4096;
const ITEM_LIMIT = 256;

export class WarningRecorder {
  private readonly recorded = new Set<string>();
  private readonly ordered: string[] = [];
  private written: string[] = [];
  private total = 0;
  private truncating = false;

  add(text: string): void {
    if (typeof text !== 'string' || text.length === 0) return;
    if (this.truncating && this.total >= TOTAL_LIMIT) return;
    if (this.recorded.has(text)) return;
    this.recorded.add(text);
    this.ordered.push(text);
    // eslint-disable-next-line no-control-regex
    const valid = (t: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(t);
    let item = [...text];
    if (this.truncating && item.length > ITEM_LIMIT) item = item.slice(0, ITEM_LIMIT);
    if (!valid(text)) return;
    if (this.total + item.length <= TOTAL_LIMIT || this.truncating) {
      this.total += item.length;
      this.written.push(item.join(''));
      return;
    }
    // Over the limit: from now on every warning is truncated, the earlier ones replayed so.
    this.truncating = true;
    this.total = 0;
    this.written = [];
    for (const previous of this.ordered) {
      if (!valid(previous)) continue;
      const cut = [...previous].slice(0, ITEM_LIMIT);
      this.total += cut.length;
      this.written.push(cut.join(''));
    }
  }

  /** The warnings the client receives, in order. */
  list(): string[] {
    return [...this.written];
  }
}
