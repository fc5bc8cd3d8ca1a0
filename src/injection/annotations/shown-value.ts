/** Longest annotation value quoted in full in an error message. */
const MAX_SHOWN = 256;

/** An annotation value as error messages quote it: cut after 256 characters, saying how long it is. */
export function shownValue(value: string): string {
  return value.length <= MAX_SHOWN ? value : `${value.slice(0, MAX_SHOWN)}... (${value.length} characters)`;
}
