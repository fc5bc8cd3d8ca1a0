/**
 * Differences from Istio that are deliberate (docs/FIDELITY.md says why, and a test pins our side).
 * The differential fuzzer counts a difference that one of these explains as explained, not as a
 * finding. Each test is narrow: it recognises the situation, not merely the symptom.
 */
import type { Outcome } from './injectors.js';
import type { Verdict } from './compare.js';

export interface Divergence {
  id: string;
  /** One line; docs/FIDELITY.md has the full reason. */
  summary: string;
  explains(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): boolean;
}

export const DIVERGENCES: Divergence[] = [];

/** The id of the deliberate divergence that explains a difference, if one does. */
export function explain(input: Record<string, any>, istio: Outcome, ours: Outcome, verdict: Verdict): string | undefined {
  return DIVERGENCES.find((d) => d.explains(input, istio, ours, verdict))?.id;
}
