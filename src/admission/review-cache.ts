/**
 * Remembers the answer for pods seen before. The pods of one ReplicaSet, Job or StatefulSet
 * reach the webhook identical except for the review's uid (the apiserver names a pod after
 * admission), so scaling a Deployment to 200 replicas renders, diffs and verifies the injection
 * once and answers 199 reviews from here.
 *
 * Rendering is a pure function of the pod, its namespace, the `/inject/cluster/X/net/Y` path and
 * the configuration, so the key is a SHA-256 of those: the request body as received less its uid
 * (or, without the body, the pod serialized again), namespace, cluster and network. Any change to the configuration
 * (a reload yields a new configuration object) empties the cache. Only verified injections are
 * kept; denials, skips and failures are computed every time. Bounded by entries and by bytes,
 * least recently used first out.
 */
import { createHash } from 'node:crypto';
import { uidSpan } from './uid-span.js';

/** What a review of an injected pod answers, less its uid. */
export interface CachedInjection {
  /** The JSON patch, base64-encoded as it is sent; absent when the pod needs no change. */
  readonly patch?: string;
  readonly patchOps: number;
  readonly reason: string;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
}

export interface ReviewCacheOptions {
  /** Most answers kept; 0 disables the cache. */
  maxEntries: number;
  /** Most bytes kept (keys, patches and messages); an answer larger than a quarter of it is not kept. */
  maxBytes?: number;
}

export interface ReviewCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** What the rendered pod depends on besides the configuration. */
export interface ReviewKeyParts {
  namespace: string;
  clusterId?: string | undefined;
  network?: string | undefined;
  pod: unknown;
  /** The request body as received: hashed but for its uid (see uid-span.ts) instead of serializing `pod`. */
  body?: string | undefined;
}

export const DEFAULT_REVIEW_CACHE_ENTRIES = 512;
export const DEFAULT_REVIEW_CACHE_BYTES = 32 * 1024 * 1024;

/** Fixed cost of one entry (map slot, object headers), in bytes. */
const ENTRY_OVERHEAD = 256;

function sizeOf(key: string, answer: CachedInjection): number {
  let bytes = ENTRY_OVERHEAD + key.length + (answer.patch?.length ?? 0) + answer.reason.length;
  for (const warning of answer.warnings) bytes += warning.length;
  for (const [name, value] of Object.entries(answer.auditAnnotations)) bytes += name.length + value.length;
  return bytes;
}

export class ReviewCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  #entries = new Map<string, { answer: CachedInjection; bytes: number }>();
  #config: object | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: ReviewCacheOptions) {
    this.maxEntries = options.maxEntries;
    this.maxBytes = options.maxBytes ?? DEFAULT_REVIEW_CACHE_BYTES;
  }

  get enabled(): boolean {
    return this.maxEntries > 0;
  }

  /**
   * The key of a review under `config`, or undefined for a pod that cannot be serialized (nesting
   * deeper than the stack allows): such a review is simply not cached. A configuration other than
   * the last one seen empties the cache.
   */
  key(config: object, parts: ReviewKeyParts): string | undefined {
    if (config !== this.#config) {
      this.clear();
      this.#config = config;
    }
    // The context's JSON holds no line break, so it ends where the first line does.
    const hash = createHash('sha256').update(JSON.stringify([parts.namespace, parts.clusterId ?? null, parts.network ?? null])).update('\n');
    const span = parts.body === undefined ? undefined : uidSpan(parts.body);
    if (span !== undefined) {
      // Where the uid was is part of the key, so the text around it splits one way only.
      return hash.update(`body ${span[0]}\n`).update(parts.body!.slice(0, span[0])).update(parts.body!.slice(span[1])).digest('base64');
    }
    let pod: string;
    try {
      pod = JSON.stringify(parts.pod);
    } catch {
      return undefined;
    }
    return hash.update('pod\n').update(pod).digest('base64');
  }

  /** The answer kept under `key`, counted as a hit or a miss. */
  get(key: string): CachedInjection | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    // Most recently used last: re-inserting moves it to the end of the map's order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.answer;
  }

  /** Keeps `answer` (frozen) unless the cache is disabled or the answer is too large. */
  set(key: string, answer: CachedInjection): void {
    if (!this.enabled) return;
    const bytes = sizeOf(key, answer);
    if (bytes > this.maxBytes / 4) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= previous.bytes;
    }
    const frozen: CachedInjection = Object.freeze({
      ...answer,
      warnings: Object.freeze([...answer.warnings]),
      auditAnnotations: Object.freeze({ ...answer.auditAnnotations }),
    });
    this.#entries.set(key, { answer: frozen, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  stats(): ReviewCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }
}
