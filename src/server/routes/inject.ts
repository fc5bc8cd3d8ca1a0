/**
 * POST /inject and POST /inject/<key>/<value>/...: the admission webhook.
 * Path parameters follow Istio: `/inject/cluster/<id>/net/<network>` sets the proxy's cluster ID
 * and network.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeReview, serializeReview } from '../../admission/index.js';
import { DEFAULT_BUDGET_SHARE, DEFAULT_WATCHDOG_BYTES, ReviewBudget } from '../../admission/budget.js';
import { handleReview } from '../../admission/review.js';
import { runWithin } from '../../admission/watchdog.js';
import type { AppDeps } from '../app.js';

/** A percent-encoded segment, or undefined when it is malformed (`%E0%A4%A`). */
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Reads Istio's `/inject/cluster/X/net/Y` key/value segments. Unknown keys and malformed values are reported, not fatal. */
export function parseInjectPath(rest: string): { clusterId?: string; network?: string; ignored: string[] } {
  const segments = rest.split('/').filter((s) => s !== '');
  const result: { clusterId?: string; network?: string; ignored: string[] } = { ignored: [] };
  for (let i = 0; i < segments.length; i += 2) {
    const key = segments[i]!;
    const value = segments[i + 1];
    const decoded = value === undefined ? undefined : decode(value);
    if (decoded === undefined) result.ignored.push(value === undefined ? key : `${key}/${value}`);
    else if (key === 'cluster') result.clusterId = decoded;
    else if (key === 'net') result.network = decoded;
    else result.ignored.push(`${key}/${value}`);
  }
  return result;
}

export function registerInjectRoutes(app: FastifyInstance, deps: AppDeps): void {
  const share = deps.reviewBudgetShare ?? DEFAULT_BUDGET_SHARE;
  const watchdogBytes = deps.watchdogBytes ?? DEFAULT_WATCHDOG_BYTES;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const arrival = request.bodyArrival ?? { at: performance.now(), chars: 0 };
    const decoded = decodeReview(request.body);
    // The raw URL, not the router's decoded wildcard, so an encoded '/' stays inside its value.
    const rest = (request.url.split('?')[0] ?? '').replace(/^\/inject\/?/, '');
    const path = parseInjectPath(rest);
    if (path.ignored.length > 0) deps.logger.warn({ ignored: path.ignored }, 'unknown /inject path parameters ignored');
    const ctx: Parameters<typeof handleReview>[1] = {
      config: deps.getConfig(),
      logger: deps.logger,
      onInternalError: deps.onInternalError ?? 'allow',
      // The apiserver says how long it waits: `?timeout=10s` (client-go's Duration.String()).
      budget: ReviewBudget.of(arrival.at, (request.query as Record<string, unknown> | undefined)?.timeout, share),
    };
    if (arrival.chars >= watchdogBytes) ctx.watchdog = runWithin;
    if (deps.engine !== undefined) ctx.engine = deps.engine;
    if (path.clusterId !== undefined) ctx.clusterId = path.clusterId;
    if (path.network !== undefined) ctx.network = path.network;
    const { review, outcome } = handleReview(decoded, ctx);
    deps.onReview?.(outcome);
    void reply.type('application/json; charset=utf-8');
    return serializeReview(review);
  };
  app.post('/inject', handler);
  app.post('/inject/*', handler);
}
