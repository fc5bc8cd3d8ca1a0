/**
 * The field types of the Kubernetes objects a review carries, in the type codes of go-types.ts,
 * read from the one description of Kubernetes' Go types the project has: src/injection/k8s-types.ts,
 * generated from the k8s.io/api module Istio's injector is built with (`npm run peers:types`).
 * kube-inject writes objects from it (field order, omitempty); verification checks with it what a
 * patch writes, as the apiserver's decoder reads it.
 *
 * The translation: pointers read as what they point to (null is "absent" either way), embedded
 * structs (`inline`) lend their fields to the struct that embeds them, resource.Quantity is
 * `quantity`, IntOrString `intOrString`, metav1.Time `time`, free-form JSON (RawExtension,
 * FieldsV1) `any`.
 */
import { STRUCTS, type Field } from '../injection/k8s-types.js';

/** Type codes: scalars, `[]T`, `map[]T`, `any` or a struct name, per field of each struct. */
export type StructTable = Readonly<Record<string, Readonly<Record<string, string>>>>;

const SPECIAL: Readonly<Record<string, string>> = {
  '@Quantity': 'quantity',
  '@IntOrString': 'intOrString',
  '@Time': 'time',
  '@MicroTime': 'time',
  '@RawExtension': 'any',
  '@FieldsV1': 'any',
};
const SCALARS = new Set(['string', 'bool', 'int32', 'int64', 'any']);

/** The go-types code of a k8s-types kind. */
function code(kind: string): string {
  if (kind.startsWith('*')) return code(kind.slice(1));
  if (kind.startsWith('[]')) return `[]${code(kind.slice(2))}`;
  if (kind.startsWith('map[') && kind.endsWith(']')) return `map[]${code(kind.slice(4, -1))}`;
  if (Object.hasOwn(SPECIAL, kind)) return SPECIAL[kind]!;
  if (SCALARS.has(kind)) return kind;
  if (kind === 'bytes') return 'string';
  if (Object.hasOwn(STRUCTS, kind)) return kind;
  // A kind this translation does not know yet: the generator grew; teach it here.
  throw new Error(`k8s-types kind '${kind}' has no go-types code`);
}

function fields(list: readonly Field[], out: Record<string, string>): Record<string, string> {
  for (const [name, kind, options] of list) {
    if (options.includes('i')) {
      const inline = STRUCTS[kind];
      if (inline === undefined) throw new Error(`k8s-types inlines '${kind}', which it does not describe`);
      fields(inline, out);
    } else out[name] = code(kind);
  }
  return out;
}

function table(): StructTable {
  const out: Record<string, Record<string, string>> = {};
  for (const name of Object.keys(STRUCTS)) out[name] = fields(STRUCTS[name]!, {});
  return out;
}

/** Every struct k8s-types.ts describes (a Pod's, and those of the workloads kube-inject reads). */
export const POD_TYPES: StructTable = table();
