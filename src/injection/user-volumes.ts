/**
 * `sidecar.istio.io/userVolume` and `userVolumeMount` read as Istio's templates read them: JSON,
 * an object keyed by name or a list (its entries named by index), each entry the fields of a
 * volume (or mount). Istio's template fails where it writes them on JSON it cannot read, on entries
 * that are not objects, and (decoding the rendered pod) on fields of the wrong type, so only pods
 * whose templates read them are refused. One refusal is ours: a volume name the apiserver refuses
 * (not a DNS-1123 label, `__proto__` for one), for which Istio writes a pod the apiserver refuses.
 */
import { InjectorError } from '../errors.js';
import { podTypes } from '../patch/go-types.js';
import { shownValue } from './annotations/shown-value.js';
import type { JsonObject } from './types.js';

/** What the apiserver requires of a volume name (a DNS-1123 label). */
const VOLUME_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The entries of the annotation `key` holding `raw`, by name; throws INVALID_ANNOTATION when Istio's template would fail. */
export function readUserJsonMap(raw: string, key: string): Array<[string, JsonObject]> {
  const refuse = (why: string) => new InjectorError('INVALID_ANNOTATION', `invalid value '${shownValue(raw)}' for annotation '${key}': ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refuse('not valid JSON (expected an object keyed by volume name)');
  }
  // `null` reads as no entries, as in Istio's template; a list's entries are named by index.
  if (parsed === null) return [];
  if (typeof parsed !== 'object') throw refuse('not a JSON object keyed by volume name');
  const entries: Array<[string, unknown]> = Array.isArray(parsed)
    ? parsed.map((entry, i) => [String(i), entry])
    : Object.keys(parsed).sort().map((name) => [name, (parsed as Record<string, unknown>)[name]]);
  const bad = entries.find(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length === 0);
  if (bad !== undefined) throw refuse(`entry '${shownValue(bad[0])}' is not an object of volume fields`);
  const isVolume = key === 'sidecar.istio.io/userVolume';
  const type = isVolume ? 'Volume' : 'VolumeMount';
  for (const [name, entry] of entries) {
    if (isVolume && (name.length > 63 || !VOLUME_NAME.test(name))) {
      throw refuse(`volume name ${JSON.stringify(shownValue(name))} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`);
    }
    const problem = podTypes.problem(entry, type);
    if (problem !== undefined) throw refuse(`not a map of ${isVolume ? 'volumes' : 'volume mounts'}: ${JSON.stringify(shownValue(name))}: ${problem}`);
  }
  return entries as Array<[string, JsonObject]>;
}
