/** Loads committed AdmissionReview fixtures (test/fixtures/reviews). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/reviews/', import.meta.url));

/** A fresh copy of the named review fixture. */
export function reviewFixture(name: string): any {
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8'));
}

/** The raw bytes of the named fixture, as curl would send them. */
export function reviewFixtureText(name: string): string {
  return readFileSync(`${dir}${name}.json`, 'utf8');
}
