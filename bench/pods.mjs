// Review bodies for the benchmarks: pods with N environment variables, and pods grown to a target
// body size in three shapes (one container with many variables, many containers, many
// annotations), so a cost that is not linear in any one dimension shows up.
import { readFileSync } from 'node:fs';

/** A fixture review, parsed. */
export function fixture(name) {
  return JSON.parse(readFileSync(`test/fixtures/reviews/${name}.json`, 'utf8'));
}

/** A plain-pod review whose app container has `envCount` variables (about 50 bytes each). */
export function reviewWithEnv(base, envCount) {
  const review = structuredClone(base);
  review.request.uid = `bench-env-${envCount}`;
  review.request.object.spec.containers[0].env = Array.from({ length: envCount }, (_, i) => ({ name: `VARIABLE_${i}`, value: `value-number-${i}` }));
  return review;
}

function appContainer(i) {
  return {
    name: `app-${i}`,
    image: `registry.example/app-${i}:v1`,
    ports: [{ name: `http-${i}`, containerPort: 8000 + (i % 50000), protocol: 'TCP' }],
    env: Array.from({ length: 5 }, (_, j) => ({ name: `VAR_${j}`, value: `value-${i}-${j}` })),
    readinessProbe: { httpGet: { path: '/ready', port: 8000 + (i % 50000), scheme: 'HTTP' }, periodSeconds: 10 },
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

/** Grows a pod in one of the shapes by `count` units. */
const SHAPES = {
  env: (review, count) => {
    review.request.object.spec.containers[0].env = Array.from({ length: count }, (_, i) => ({ name: `VARIABLE_${i}`, value: `value-number-${i}` }));
  },
  containers: (review, count) => {
    const first = review.request.object.spec.containers[0];
    review.request.object.spec.containers = [first, ...Array.from({ length: count }, (_, i) => appContainer(i + 1))];
  },
  annotations: (review, count) => {
    const meta = review.request.object.metadata;
    meta.annotations = { ...(meta.annotations ?? {}) };
    for (let i = 0; i < count; i++) meta.annotations[`example.com/annotation-${i}`] = `annotation value number ${i}`;
  },
};

export const SHAPE_NAMES = Object.keys(SHAPES);

/**
 * A review of about `bytes` bytes (compact JSON) grown in `shape` from the bare-pod fixture; the
 * unit count is found by bisection so every size of a series has the same shape.
 */
export function reviewOfSize(shape, bytes) {
  const base = fixture('pod-bare');
  const make = (count) => {
    const review = structuredClone(base);
    review.request.uid = `bench-${shape}-${bytes}`;
    if (count > 0) SHAPES[shape](review, count);
    return review;
  };
  let low = 0;
  let high = 1;
  while (JSON.stringify(make(high)).length < bytes) high *= 2;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (JSON.stringify(make(mid)).length < bytes) low = mid;
    else high = mid;
  }
  return { review: make(high), units: high };
}

/**
 * The reviews of the side-by-side benchmark (`npm run bench:peers`) and of `bench/review-cpu.mjs`:
 * the plain pod, the same pod with 100 and with 2,000 environment variables, and a pod of 1 MB
 * (the bare pod with one container of about 20,000 variables), by name.
 */
export const BENCH_PODS = {
  plain: { title: 'plain pod', review: () => fixture('pod-plain') },
  env100: { title: 'pod with 100 env vars', review: () => reviewWithEnv(fixture('pod-plain'), 100) },
  env2000: { title: 'pod with 2,000 env vars', review: () => reviewWithEnv(fixture('pod-plain'), 2000) },
  mb1: { title: '1 MB pod', review: () => reviewOfSize('env', 1024 * 1024).review },
};
