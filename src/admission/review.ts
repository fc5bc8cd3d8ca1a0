/**
 * One review, from decoded request to AdmissionReview answer: decide, render, diff, verify.
 * No HTTP here (the route owns that). How each outcome is answered:
 *
 * | outcome                                   | allowed | patch | status.code / message                 | pod        |
 * |-------------------------------------------|---------|-------|---------------------------------------|------------|
 * | not a Pod CREATE (other kind, subresource, operation) | true | no | -                               | unchanged  |
 * | skipped (opt-out, hostNetwork, policy...) | true    | no    | - (warning says why)                  | unchanged  |
 * | injected                                  | true    | yes   | -                                     | injected   |
 * | already injected, nothing to change       | true    | no    | -                                     | unchanged  |
 * | invalid annotation value on the pod       | false   | no    | 400, names annotation and value       | refused    |
 * | Pod CREATE without a usable pod object, or with a value of the wrong type that injection trips on | false | no | 400, names the field | refused |
 * | internal failure (render bug, patch fails verification) | per `onInternalError`: `allow` (default) lets the pod through without a sidecar and says so in a warning; `deny` refuses it with 500 |
 * | over its budget (a share of the apiserver's timeout) | per `onInternalError`, as an internal failure; the warning says why |
 */
import type { InjectorConfig } from '../config/index.js';
import { isInjectorError } from '../errors.js';
import * as injection from '../injection/index.js';
import type { InjectionRequest, Pod } from '../injection/index.js';
import type { Logger } from '../observability/logger.js';
import { diffPatch, verifyPatch } from '../patch/index.js';
import { podNullField, podTypeProblem } from '../patch/go-types.js';
import type { ReviewBudget } from './budget.js';
import { isPodCreate } from './decode.js';
import { WatchdogTimeout } from './watchdog.js';
import { explain } from './explain.js';
import { allow, deny } from './respond.js';
import type { AdmissionReview, DecodedReview } from './types.js';

export type ReviewDecision = 'injected' | 'skipped' | 'not-applicable' | 'denied' | 'error';

/** What happened to one review: logged, and handed to metrics. */
export interface ReviewOutcome {
  uid: string;
  namespace: string;
  pod: string;
  operation: string;
  dryRun: boolean;
  decision: ReviewDecision;
  reason: string;
  durationSeconds: number;
  patchOps: number;
}

export interface ReviewContext {
  config: InjectorConfig;
  logger: Logger;
  /** From the webhook path: `/inject/cluster/X/net/Y`. */
  clusterId?: string;
  network?: string;
  /** What a pod gets when injection fails because of a fault of ours. */
  onInternalError: 'allow' | 'deny';
  /** The injection engine; tests substitute a faulty one to exercise failure handling. */
  engine?: Engine;
  /** The time the review may take (none: unlimited, as for kube-inject and tests). */
  budget?: ReviewBudget;
  /** Run the injection under a hard time limit of the budget left (see budget.ts): for large reviews. */
  watchdog?: <T>(ms: number, fn: () => T) => T;
}

/** The two engine functions a review uses. */
export interface Engine {
  decide: typeof injection.decide;
  render: typeof injection.render;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why the request object cannot be injected at all: not a pod with a list of container objects.
 * The apiserver never sends such an object (it decodes the pod first); a test client may.
 */
function podShapeProblem(pod: unknown): string | undefined {
  if (!isObject(pod) || !isObject(pod.spec) || !Array.isArray(pod.spec.containers)) return 'the request object is not a Pod with spec.containers';
  for (const list of ['containers', 'initContainers'] as const) {
    const items: unknown = pod.spec[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) return `spec.${list} must be a list of containers, got ${typeof items}`;
    const bad = items.findIndex((item) => !isObject(item));
    if (bad >= 0) return `spec.${list}[${bad}] must be a container (an object), got ${items[bad] === null ? 'null' : JSON.stringify(items[bad])?.slice(0, 40)}`;
  }
  return undefined;
}

function podLabel(request: DecodedReview['request'], pod: unknown): string {
  const meta = isObject(pod) && isObject(pod.metadata) ? pod.metadata : {};
  if (typeof meta.name === 'string' && meta.name !== '') return meta.name;
  if (typeof request.name === 'string' && request.name !== '') return request.name;
  if (typeof meta.generateName === 'string') return `${meta.generateName}*`;
  return '';
}

/** Answers one decoded review. Never throws for anything the request contains. */
export function handleReview(decoded: DecodedReview, ctx: ReviewContext): { review: AdmissionReview; outcome: ReviewOutcome } {
  const started = process.hrtime.bigint();
  const { apiVersion, request } = decoded;
  const pod = request.object;
  const namespace = request.namespace ?? (isObject(pod) && isObject(pod.metadata) ? pod.metadata.namespace : undefined) ?? '';
  const identity = {
    uid: request.uid,
    namespace,
    pod: podLabel(request, pod),
    operation: String(request.operation ?? ''),
    dryRun: request.dryRun === true,
  };
  // The review's logger: every line carries the review's identity, as a pino child's bindings.
  // The child itself is made only for a line other than the closing one (a failure): the closing
  // line gives the identity as its first fields, which pino writes exactly where a child's
  // bindings go (same line, same key order), without building a child on every review.
  let child: Logger | undefined;
  const log = () => (child ??= ctx.logger.child(identity));

  // Objects written out field by field rather than spread: V8 builds a spread object slowly,
  // key after key, and these are made on every review.
  const finish = (review: AdmissionReview, decision: ReviewDecision, reason: string, patchOps = 0) => {
    const { uid, namespace, pod, operation, dryRun } = identity;
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const outcome: ReviewOutcome = { uid, namespace, pod, operation, dryRun, decision, reason, patchOps, durationSeconds };
    const level = decision === 'error' ? 'error' : decision === 'denied' ? 'warn' : 'info';
    const durationMs = Math.round(durationSeconds * 1e6) / 1e3;
    if (child !== undefined) child[level]({ apiVersion, decision, reason, patchOps, durationMs }, 'review');
    else if (ctx.logger.isLevelEnabled(level)) {
      ctx.logger[level]({ uid, namespace, pod, operation, dryRun, apiVersion, decision, reason, patchOps, durationMs }, 'review');
    }
    return { review, outcome };
  };

  if (!isPodCreate(request)) return finish(allow(apiVersion, request.uid), 'not-applicable', 'not a pod creation');
  const shape = podShapeProblem(pod);
  if (shape !== undefined) return finish(deny(apiVersion, request.uid, 400, shape), 'denied', 'invalid-pod');

  const injectionRequest: InjectionRequest = { pod: pod as Pod, namespace };
  if (ctx.clusterId !== undefined) injectionRequest.clusterId = ctx.clusterId;
  if (ctx.network !== undefined) injectionRequest.network = ctx.network;

  const engine = ctx.engine ?? injection;
  const budget = ctx.budget;
  const inject = () => {
    const decision = engine.decide(injectionRequest, ctx.config, 'webhook');
    if (!decision.inject) return { decision };
    budget?.checkpoint('rendering');
    const rendered = engine.render(injectionRequest, ctx.config);
    budget?.checkpoint('computing the patch');
    const ops = diffPatch(pod, rendered);
    budget?.checkpoint('verifying the patch');
    verifyPatch(pod, ops, rendered);
    return { decision, rendered, ops };
  };
  try {
    const done = budget !== undefined && ctx.watchdog !== undefined ? watched(ctx.watchdog, budget, inject) : inject();
    const { decision } = done;
    if (!decision.inject) return finish(allow(apiVersion, request.uid, explain(decision)), 'skipped', decision.reason);
    const ops = done.ops!;
    const reason = ops.length === 0 ? 'already-injected' : decision.reason;
    return finish(allow(apiVersion, request.uid, { patch: ops, ...explain(decision, done.rendered) }), 'injected', reason, ops.length);
  } catch (err) {
    if (isInjectorError(err) && (err.code === 'INVALID_ANNOTATION' || err.code === 'INVALID_POD')) {
      return finish(deny(apiVersion, request.uid, 400, err.message), 'denied', err.code === 'INVALID_POD' ? 'invalid-pod' : 'invalid-annotation');
    }
    // A value of a type the apiserver never sends can trip rendering or land in the patch: then
    // the pod is refused naming it, not admitted as if we had failed. Only looked for on failure.
    if (!isInjectorError(err) || err.code !== 'REVIEW_BUDGET_EXCEEDED') {
      const nullField = podNullField(pod);
      const problem = podTypeProblem(pod) ?? (nullField === undefined ? undefined : `${nullField}: null`);
      if (problem !== undefined) {
        const message = `${problem} (the apiserver decodes a pod before it calls webhooks, so it never sends this)`;
        return finish(deny(apiVersion, request.uid, 400, message), 'denied', 'invalid-pod');
      }
    }
    const message = isInjectorError(err) ? err.message : 'unexpected internal error';
    const code = isInjectorError(err) ? err.code : 'INJECTION_FAILED';
    log().error({ err, code }, 'injection failed');
    if (ctx.onInternalError === 'deny') {
      return finish(deny(apiVersion, request.uid, 500, `sidecar injection failed: ${message}`), 'error', code);
    }
    const warning = `sidecar-injector: pod admitted WITHOUT a sidecar because injection failed: ${message}`;
    return finish(allow(apiVersion, request.uid, { warnings: [warning], auditAnnotations: { decision: 'error', reason: code } }), 'error', code);
  }
}

/** Runs `fn` under the watchdog with the budget left; a review stopped by it ends over budget. */
function watched<T>(watchdog: NonNullable<ReviewContext['watchdog']>, budget: ReviewBudget, fn: () => T): T {
  budget.checkpoint('deciding');
  try {
    return watchdog(budget.remaining(), fn);
  } catch (err) {
    if (err instanceof WatchdogTimeout) throw budget.exceeded('by the watchdog');
    throw err;
  }
}
