/**
 * JSON of Kubernetes objects written the way Go's encoding writes them: fields in struct order,
 * empty optional fields left out. Istio stores such JSON in annotations (proxy.istio.io/overrides),
 * and its readers compare strings, so the layout matters.
 */
import { setOwn } from '../patch/equal.js';
import type { JsonObject } from './types.js';

/** Struct field orders of the core/v1 types that appear in containers. */
const ORDERS: Record<string, readonly string[]> = {
  Container: ['name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty'],
  Probe: ['exec', 'httpGet', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'],
  HTTPGetAction: ['path', 'port', 'host', 'scheme', 'httpHeaders'],
  SecurityContext: ['capabilities', 'privileged', 'seLinuxOptions', 'windowsOptions', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'procMount', 'seccompProfile', 'appArmorProfile'],
  Capabilities: ['add', 'drop'],
  VolumeMount: ['name', 'readOnly', 'recursiveReadOnly', 'mountPath', 'subPath', 'mountPropagation', 'subPathExpr'],
  ContainerPort: ['name', 'hostPort', 'containerPort', 'protocol', 'hostIP'],
  EnvVar: ['name', 'value', 'valueFrom'],
  ResourceRequirements: ['limits', 'requests', 'claims'],
  Lifecycle: ['postStart', 'preStop', 'stopSignal'],
  LifecycleHandler: ['exec', 'httpGet', 'tcpSocket', 'sleep'],
};

/** Which struct a field of a struct holds. */
const CHILDREN: Record<string, Record<string, string>> = {
  Container: { ports: 'ContainerPort', env: 'EnvVar', resources: 'ResourceRequirements', volumeMounts: 'VolumeMount', livenessProbe: 'Probe', readinessProbe: 'Probe', startupProbe: 'Probe', lifecycle: 'Lifecycle', securityContext: 'SecurityContext' },
  Probe: { httpGet: 'HTTPGetAction' },
  SecurityContext: { capabilities: 'Capabilities' },
  Lifecycle: { postStart: 'LifecycleHandler', preStop: 'LifecycleHandler' },
  LifecycleHandler: { httpGet: 'HTTPGetAction' },
};

/** Fields Go writes even when empty (non-pointer structs). */
const ALWAYS: Record<string, readonly string[]> = { Container: ['name', 'resources'] };

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === false || value === 0 || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.keys(value as object).length === 0);
}

function orderStruct(type: string, value: JsonObject): JsonObject {
  const order = ORDERS[type] ?? Object.keys(value).sort();
  const rest = Object.keys(value).filter((k) => !order.includes(k)).sort();
  const out: JsonObject = {};
  for (const key of [...order, ...rest]) {
    let field = value[key];
    if (isEmpty(field) && !(ALWAYS[type] ?? []).includes(key)) {
      // Pointer fields keep explicit false/0 values (securityContext, probe thresholds).
      if (!(typeof field === 'boolean' || typeof field === 'number') || field === undefined) continue;
      if (type === 'Container' && (field === false || field === 0)) continue;
    }
    const children = CHILDREN[type];
    const child = children !== undefined && Object.hasOwn(children, key) ? children[key] : undefined;
    if (child !== undefined && Array.isArray(field)) field = field.map((item: JsonObject) => orderStruct(child, item));
    else if (child !== undefined && typeof field === 'object' && field !== null) field = orderStruct(child, field);
    setOwn(out, key, field ?? {});
  }
  return out;
}

/** A container as Go's JSON encoding writes it. */
export function goContainerJson(container: JsonObject): string {
  return JSON.stringify(orderStruct('Container', container));
}
