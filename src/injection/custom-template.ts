/**
 * Templates defined in the injector config or values (`templates.<name>`), used through
 * `inject.istio.io/templates`. They are data overlays: YAML of a pod fragment (metadata and spec)
 * merged over the pod like the built-in templates. One Go template construct is understood, because
 * it is how overlays address every app container:
 *
 *   {{- range $index, $container := .Spec.Containers }}
 *   - name: {{ $container.Name }}
 *     ...
 *   {{- end }}
 *
 * The block is repeated for each container of the pod with `{{ $container.Name }}` filled in. A pod
 * that selects a template with any other `{{ ... }}` action is denied with an error naming the
 * template; such templates may sit in the configuration (Istio's own ConfigMap has several that
 * are not for pods) as long as no pod selects them.
 */
import { parse as parseYaml } from 'yaml';
import { InjectorError } from '../errors.js';
import type { JsonObject, Pod } from './types.js';

const RANGE = /\{\{-?\s*range\s+\$\w+\s*,\s*\$(\w+)\s*:=\s*\.Spec\.Containers\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}/g;

/** A DNS-1123 label: what the apiserver requires of a container name. */
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Names go into the template's YAML text as they are, like Go templates put them: a name that is
 * not a DNS-1123 label (which the apiserver would refuse after the webhooks anyway) could change
 * the YAML's structure, or nest it deep enough to overflow the parser. Such a pod is denied here.
 */
function containerNames(pod: Pod, template: string): string[] {
  return ((pod.spec?.containers ?? []) as JsonObject[]).map((c) => {
    const name = String(c.name ?? '');
    if (!CONTAINER_NAME.test(name)) {
      const shown = name.length > 64 ? `${name.slice(0, 64)}... (${name.length} characters)` : name;
      throw new InjectorError('INVALID_POD', `container name ${JSON.stringify(shown)} is not a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters), so template '${template}' cannot be applied; the apiserver would refuse the pod anyway`);
    }
    return name;
  });
}

/** Expands and parses a custom template into a pod fragment. */
export function renderCustomTemplate(name: string, text: string, pod: Pod): JsonObject {
  const containers = text.search(RANGE) === -1 ? [] : containerNames(pod, name);
  const expanded = text.replace(RANGE, (_all, variable: string, body: string) => {
    const action = `\\{\\{-?\\s*\\$${variable}\\.Name\\s*-?\\}\\}`;
    // A name that is a whole YAML value (`name: {{ $c.Name }}`) goes in quoted: plain, a valid
    // name such as `0`, `1e3`, `true` or `null` would be read as a number, a boolean or null.
    const whole = new RegExp(`(^[ \\t]*-[ \\t]+|:[ \\t]+)${action}(?=[ \\t]*(?:#.*)?$)`, 'gm');
    const field = new RegExp(action, 'g');
    return containers.map((container) => body.replace(whole, (_m, lead: string) => `${lead}${JSON.stringify(container)}`).replace(field, container)).join('');
  });
  const leftover = /\{\{[\s\S]*?\}\}/.exec(expanded);
  if (leftover !== null) {
    throw new InjectorError(
      'INVALID_ANNOTATION',
      `invalid value for annotation 'inject.istio.io/templates': template '${name}' uses the Go template action '${leftover[0]}', which is not supported: custom templates are YAML overlays (see the README, "Custom templates")`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(expanded);
  } catch (err) {
    throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation 'inject.istio.io/templates': template '${name}' is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InjectorError('INVALID_ANNOTATION', `invalid value for annotation 'inject.istio.io/templates': template '${name}' must be a map with metadata and/or spec`);
  return parsed as JsonObject;
}
