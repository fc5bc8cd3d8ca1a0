// The work of the /inject route on one body, with one build (bench/review-cpu.mjs): a module of
// its own so that each build gets its own instance of it (imported with a distinct query string).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';

/** The route's work on one body with one build, as a function of the body's text. */
export async function pipeline(dir) {
  const url = (file) => pathToFileURL(resolve(dir, file)).href;
  const { decodeReview } = await import(url('admission/decode.js'));
  const { serializeReview } = await import(url('admission/respond.js'));
  const { handleReview } = await import(url('admission/review.js'));
  const { ReviewBudget, DEFAULT_BUDGET_SHARE } = await import(url('admission/budget.js'));
  const { defaultConfig } = await import(url('config/index.js'));
  const { createMetrics } = await import(url('observability/metrics.js'));
  const { createLogger } = await import(url('observability/logger.js'));
  // The server's own logger, writing to /dev/null. Builds whose logger took no destination yet
  // wrote synchronously, as this one then does for them.
  const logger = createLogger.toString().includes('destination')
    ? createLogger({ level: 'info', pretty: false, destination: '/dev/null' })
    : pino({ level: 'info', base: { service: 'sidecar-injector' } }, pino.destination({ dest: '/dev/null', sync: true }));
  const metrics = createMetrics({ processMetrics: false });
  const config = defaultConfig();
  return (text) => {
    const decoded = decodeReview(JSON.parse(text));
    const ctx = { config, logger, onInternalError: 'allow', budget: ReviewBudget.of(performance.now(), '10s', DEFAULT_BUDGET_SHARE) };
    const { review, outcome } = handleReview(decoded, ctx);
    metrics.observeReview(outcome);
    return serializeReview(review);
  };
}

