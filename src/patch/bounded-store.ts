/**
 * Values worked out from short strings (paths, keys) and kept from one review to the next, as
 * reviews of similar pods meet the same ones (and the replicas of a large pod its many paths).
 * Bounded: emptied all at once when full; long keys are never kept.
 */
export class BoundedStore<V> {
  private readonly entries = new Map<string, V>();
  private bypassed = false;

  /**
   * @param largeUse a use meeting more keys than this bypasses the store (see {@link begin}).
   */
  constructor(
    private readonly max: number,
    private readonly largeUse = Number.POSITIVE_INFINITY,
    private readonly maxKeyChars = 512,
  ) {}

  /**
   * Starts a use that will meet about `keys` keys. More than `largeUse` (a large pod's patch),
   * the use neither looks up nor keeps anything: for values that cost less to work out again than
   * a lookup does (which hashes the key, a string made afresh).
   */
  begin(keys: number): void {
    this.bypassed = keys > this.largeUse;
  }

  get(key: string): V | undefined {
    return this.bypassed ? undefined : this.entries.get(key);
  }

  /** Keeps `value` for `key` (unless bypassed or the key is long); returns the value. */
  keep(key: string, value: V): V {
    if (!this.bypassed && key.length <= this.maxKeyChars) {
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}
