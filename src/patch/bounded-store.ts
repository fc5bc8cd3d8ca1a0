/**
 * Values worked out from short strings (paths, keys) and kept from one review to the next, for
 * reviews of similar pods meet the same ones. Bounded twice: emptied all at once when full, and
 * taking at most `perUse` new entries between two calls of {@link BoundedStore.begin} (one per
 * patch), so a large pod patched at thousands of paths no other pod has does not empty and refill
 * the store on every review.
 */
export class BoundedStore<V> {
  private readonly entries = new Map<string, V>();
  private left: number;

  constructor(
    private readonly max: number,
    private readonly perUse: number,
    private readonly maxKeyChars = 512,
  ) {
    this.left = perUse;
  }

  /** Starts a use: `perUse` new entries may be kept again. */
  begin(): void {
    this.left = this.perUse;
  }

  /**
   * The value kept for `key`. Not looked up once this use has kept its share: a use that meets so
   * many new keys is one of a large pod, whose next keys are most likely new too, and a lookup
   * costs hashing the key.
   */
  get(key: string): V | undefined {
    return this.left === 0 ? undefined : this.entries.get(key);
  }

  /** Keeps `value` for `key` unless the key is long or this use has kept its share; returns it. */
  keep(key: string, value: V): V {
    if (this.left > 0 && key.length <= this.maxKeyChars) {
      this.left--;
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}
