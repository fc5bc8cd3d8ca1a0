/**
 * A pod with its keys in the order the apiserver writes them (struct fields in Go declaration
 * order, map keys sorted), so that a webhook receives the same bytes from the emulator as from a
 * real apiserver, not only the same JSON value. Types come from the @kubernetes/client-node
 * catalogue the decoder uses; the order from go-field-order.ts.
 */
import * as models from '@kubernetes/client-node';
import { GO_FIELD_ORDER } from './go-field-order.js';

interface Attribute {
  baseName: string;
  type: string;
}

interface Layout {
  order: string[];
  typeOf: Map<string, string>;
}

/** Per client-node type: its fields in Go's order and their types (computed once: pods are many). */
const layouts = new Map<string, Layout | null>();

function layoutOf(type: string): Layout | null {
  let layout = layouts.get(type);
  if (layout === undefined) {
    const model = (models as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[type];
    const attributes = model?.getAttributeTypeMap?.();
    layout = attributes === undefined ? null : {
      order: GO_FIELD_ORDER[type.replace(/^(CoreV1|V1)/, '')]?.split(' ') ?? attributes.map((a) => a.baseName),
      typeOf: new Map(attributes.map((a) => [a.baseName, a.type])),
    };
    layouts.set(type, layout);
  }
  return layout;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Raw JSON of Go maps (FieldsV1, fields the catalogue does not type): keys sorted all the way down. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedDeep(value[k])]));
}

/** `value` (of the client-node type `type`) with its keys in Go's order; a new object. */
export function inGoOrder(value: unknown, type = 'V1Pod'): any {
  if (value === null || typeof value !== 'object') return value;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) return Array.isArray(value) ? value.map((v) => inGoOrder(v, list[1]!)) : value;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return isObject(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, inGoOrder(value[k], map[1]!)])) : value;
  const layout = layoutOf(type);
  if (layout === null || !isObject(value)) return sortedDeep(value);
  const out: Record<string, unknown> = {};
  for (const key of layout.order) if (Object.prototype.hasOwnProperty.call(value, key)) out[key] = inGoOrder(value[key], layout.typeOf.get(key) ?? 'any');
  for (const key of Object.keys(value)) if (!(key in out)) out[key] = inGoOrder(value[key], 'any');
  return out;
}
