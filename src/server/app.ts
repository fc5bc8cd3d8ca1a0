/**
 * The HTTP application, without a listening socket: `buildApp` returns a ready fastify instance
 * that tests drive with `inject()` and `listen.ts` serves over TLS.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { SecureContextOptions } from 'node:tls';
import type { Engine, ReviewOutcome } from '../admission/review.js';
import type { InjectorConfig } from '../config/index.js';
import { InjectorError, isInjectorError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerInjectRoutes } from './routes/inject.js';
import { statusBody } from './status-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** When the body arrived (performance.now()) and its length in characters; set by the JSON parser. */
    bodyArrival: { at: number; chars: number } | null;
  }
}

/** Reviews of pods with large specs run to several MiB; the apiserver itself caps requests at 3 MiB objects. */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024;

export interface AppDeps {
  /** The configuration in force; called once per review, so a reload takes effect at once. */
  getConfig: () => InjectorConfig;
  logger: Logger;
  bodyLimit?: number;
  /** Reasons the server is not ready; empty when ready. */
  readiness?: () => string[];
  /** Called once per answered review (metrics). */
  onReview?: (outcome: ReviewOutcome) => void;
  /** What a pod gets when injection fails because of a fault of ours (default `allow`). */
  onInternalError?: 'allow' | 'deny';
  /** The injection engine (default: the real one); tests substitute a faulty one. */
  engine?: Engine;
  /** The share of the apiserver's timeout a review may take (default 0.5; see admission/budget.ts). */
  reviewBudgetShare?: number;
  /** Reviews with a body at least this long run under the watchdog (default 64 KiB; 0: every review). */
  watchdogBytes?: number;
  /** TLS options; listen.ts passes them. Without them the app speaks plain HTTP (tests' inject()). */
  https?: SecureContextOptions & { minVersion?: 'TLSv1.2' | 'TLSv1.3'; ALPNProtocols?: string[] };
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') throw new InjectorError('BODY_EMPTY', 'the request body is empty: send an AdmissionReview as JSON');
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new InjectorError('BODY_NOT_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Maps errors to HTTP answers with a Kubernetes Status body. */
function errorAnswer(err: FastifyError | InjectorError, bodyLimit: number): { code: number; reason: string; message: string } {
  if (isInjectorError(err)) return { code: err.status, reason: err.code, message: err.message };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 413, reason: 'BODY_TOO_LARGE', message: `the request body is larger than the limit of ${bodyLimit} bytes` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 415, reason: 'UNSUPPORTED_MEDIA_TYPE', message: 'the Content-Type must be application/json' };
    default: {
      const code = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
      return { code, reason: code >= 500 ? 'InternalError' : 'BadRequest', message: code >= 500 ? 'internal server error' : err.message };
    }
  }
}

/** Builds the application. It does not listen. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // No route declares a schema: the envelope is validated by hand, so Ajv's type coercion and
  // property stripping never touch a pod.
  const options = {
    bodyLimit,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // While closing, requests on open connections are still answered: a 503 would fail the pod.
    return503OnClosing: false,
    ...(deps.https === undefined ? {} : { https: deps.https }),
  };
  // The https variant changes fastify's server generic only; handlers are the same.
  const app = Fastify(options) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  // A review's budget counts from here: the body has arrived, parsing it is the first cost.
  app.decorateRequest('bodyArrival', null);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.bodyArrival = { at: performance.now(), chars: (body as string).length };
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | InjectorError, request, reply) => {
    const answer = errorAnswer(err, bodyLimit);
    if (answer.code >= 500) request.log.error({ err }, 'request failed');
    else request.log.warn({ code: answer.reason, message: answer.message, url: request.url }, 'request refused');
    void reply.code(answer.code).send(statusBody(answer.code, answer.reason, answer.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(statusBody(404, 'NotFound', `no route for ${request.method} ${request.url.split('?')[0]}: send reviews to POST /inject`));
  });

  // Reviews log one line each through their own child logger; fastify's per-request lines
  // ("incoming request", "request completed") would double that at info.
  app.addHook('onRoute', (route) => {
    if (!route.logLevel) route.logLevel = 'warn';
  });
  registerInjectRoutes(app, deps);
  registerHealthRoutes(app, deps);
  return app;
}
