/**
 * Renders the injected pod: strips a previous injection, renders the selected templates, lays
 * them over the pod, re-applies the user's own istio-proxy/istio-init settings, then applies
 * Istio's post-processing (probe rewriting, Prometheus merge, status annotation, order).
 */
import type { InjectorConfig } from '../config/index.js';
import { InjectorError } from '../errors.js';
import { validateAnnotations } from './annotations/index.js';
import { shownValue } from './annotations/shown-value.js';
import { buildContext, type RenderContext } from './context.js';
import { renderCustomTemplate } from './custom-template.js';
import { keepDefaults, overlayObject } from './overlay.js';
import { applyPrometheusMerge, restorePrometheusAnnotations } from './prometheus.js';
import { keepProbeDefaults, restoreAppProbes, type RewrittenProbes } from './probe-restore.js';
import { appProbersJson, rewriteAppProbes, shouldRewriteAppProbes } from './probes/index.js';
import { gatewayTemplate } from './templates/gateway.js';
import { grpcAgentTemplate, grpcSimpleTemplate } from './templates/grpc.js';
import { sidecarTemplate, userJsonMap, type Fragment } from './templates/sidecar.js';
import type { InjectionRequest, JsonObject, Pod } from './types.js';
import { goQuantityString } from './go-quantity.js';
import { goContainerJson } from './go-types.js';
import { isValidQuantity } from './quantity.js';
import { setOwn } from '../patch/equal.js';
import { jsonString } from '../patch/json-text.js';
import { workingCopy } from './working-copy.js';
import { OVERRIDES_ANNOTATION, readOverrides, readStatus, readProbers, STATUS_ANNOTATION } from './previous-injection.js';

export { STATUS_ANNOTATION } from './previous-injection.js';
export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
/**
 * Most entries `inject.istio.io/templates` may list. Istio sets no limit, but renders every entry
 * (a list of 100,000 took seconds); a pod uses one to three, and there are a handful to choose from.
 */
export const MAX_TEMPLATES = 32;

const BUILTIN: Record<string, (ctx: RenderContext) => Fragment> = {
  sidecar: sidecarTemplate,
  gateway: gatewayTemplate,
  'grpc-simple': grpcSimpleTemplate,
  'grpc-agent': grpcAgentTemplate,
};

type ListName = 'initContainers' | 'containers' | 'volumes' | 'imagePullSecrets';
const LISTS: ListName[] = ['initContainers', 'containers', 'volumes', 'imagePullSecrets'];

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((item: JsonObject) => String(item?.name ?? '')) : [];
}

/** What an earlier injection added, by list and name. */
interface PreviousInjection {
  items: Map<ListName, Map<string, JsonObject>>;
  /** The names the status annotation listed, by list. */
  listed: Map<ListName, Set<string>>;
  probes: RewrittenProbes;
  /** ISTIO_KUBE_APP_PROBERS and ISTIO_PROMETHEUS_ANNOTATIONS values that could not be read: kept as they were. */
  unreadableProbers?: string;
  unreadableScrape?: string;
}

/**
 * Removes what an earlier injection added (as its status annotation lists) and restores the probes
 * and scrape annotations it rewrote. Returns the removed items: fields the apiserver defaulted on
 * them are carried over, so that re-injection (webhook reinvocation) changes nothing.
 */
function stripPreviousInjection(pod: Pod): PreviousInjection {
  const previous: PreviousInjection = { items: new Map(), listed: new Map(), probes: new Map() };
  const rawStatus = pod.metadata?.annotations?.[STATUS_ANNOTATION];
  if (rawStatus === undefined) return previous;
  const status = readStatus(rawStatus);
  if (status === undefined) return previous;
  // The working copy shares its annotations with the review's pod: copy them before changing them.
  const annotations = { ...pod.metadata!.annotations };
  pod.metadata!.annotations = annotations;
  const spec = pod.spec!;
  const proxy = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].find((c: JsonObject) => c.name === 'istio-proxy');
  const proxyEnv = (Array.isArray(proxy?.env) ? proxy.env : []) as JsonObject[];
  const probers = proxyEnv.find((e) => e.name === 'ISTIO_KUBE_APP_PROBERS')?.value;
  const scrape = proxyEnv.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value;
  for (const list of LISTS) {
    const injected = new Set(status[list]);
    previous.listed.set(list, injected);
    if (Array.isArray(spec[list])) {
      const removed = new Map<string, JsonObject>();
      spec[list] = (spec[list] as JsonObject[]).filter((item) => {
        const name = String(item?.name ?? '');
        if (!injected.has(name)) return true;
        removed.set(name, item);
        return false;
      });
      previous.items.set(list, removed);
      if (spec[list].length === 0) delete spec[list];
    }
  }
  // The user's overrides recorded by the earlier injection come back as the pod's own containers,
  // in place of the injected ones just removed (those the status lists), each name once, as in
  // Istio's reinsertOverrides; entries for containers the status does not list are overrides like
  // any others (see overrideEntries).
  const rawOverrides = annotations[OVERRIDES_ANNOTATION];
  if (rawOverrides !== undefined) {
    const overrides = readOverrides(rawOverrides);
    for (const list of ['containers', 'initContainers'] as const) {
      const removed = previous.listed.get(list) ?? new Set<string>();
      const present = new Set(names(spec[list]));
      const missing: JsonObject[] = [];
      for (const c of overrides[list]) {
        const name = String(c.name ?? '');
        if (!removed.has(name) || present.has(name)) continue;
        present.add(name);
        missing.push(c);
      }
      if (missing.length > 0) spec[list] = [...(spec[list] ?? []), ...missing];
    }
  }
  if (typeof probers === 'string' && probers !== '') {
    const recorded = readProbers(probers);
    // Istio keeps probers it cannot read as they are; so does the re-rendered proxy.
    if (recorded === undefined) previous.unreadableProbers = probers;
    else previous.probes = restoreAppProbes(pod, recorded);
  }
  if (typeof scrape === 'string' && scrape !== '' && !restorePrometheusAnnotations(annotations, scrape)) previous.unreadableScrape = scrape;
  delete annotations[STATUS_ANNOTATION];
  return previous;
}

/**
 * The containers `proxy.istio.io/overrides` records on a pod not injected before (a re-injection
 * has made them the pod's own containers already), by list and name: as in Istio, each is the
 * user's setting for the injected container of its name and list, and wins over the pod's own
 * container of that name.
 */
function overrideEntries(pod: Pod): Record<'containers' | 'initContainers', Map<string, JsonObject>> {
  const entries = { containers: new Map<string, JsonObject>(), initContainers: new Map<string, JsonObject>() };
  const raw = pod.metadata?.annotations?.[OVERRIDES_ANNOTATION];
  if (raw === undefined) return entries;
  const overrides = readOverrides(raw);
  for (const list of ['containers', 'initContainers'] as const) {
    for (const entry of overrides[list]) if (!entries[list].has(String(entry.name ?? ''))) entries[list].set(String(entry.name ?? ''), entry);
  }
  return entries;
}

/** The pod with the overrides entries whose names its lists lack added to them (Istio's reinsertOverrides). */
function withOverrideEntries(pod: Pod, entries: ReturnType<typeof overrideEntries>): Pod {
  if (entries.containers.size === 0 && entries.initContainers.size === 0) return pod;
  const spec: JsonObject = { ...pod.spec };
  for (const list of ['containers', 'initContainers'] as const) {
    const present = new Set(names(spec[list]));
    const added = [...entries[list].values()].filter((c) => !present.has(String(c.name ?? '')));
    if (added.length > 0) spec[list] = [...(spec[list] ?? []), ...added];
  }
  return { ...pod, spec };
}

/** Lays each freshly injected item over its previous version, keeping fields defaulted since. */
function carryOverDefaults(pod: Pod, previous: PreviousInjection): void {
  for (const [list, items] of previous.items) {
    if (!Array.isArray(pod.spec![list])) continue;
    pod.spec![list] = (pod.spec![list] as JsonObject[]).map((item) => {
      const before = items.get(String(item?.name ?? ''));
      return before === undefined ? item : (keepDefaults(before, item) as JsonObject);
    });
  }
}

function selectTemplates(pod: Pod, cfg: InjectorConfig): string[] {
  const requested = pod.metadata?.annotations?.[TEMPLATES_ANNOTATION];
  // As in Istio, every name the annotation lists counts, empty ones included ('' or 'sidecar,'),
  // and none of those is a template.
  if (requested !== undefined) {
    const listed = requested.split(',');
    if (listed.length > MAX_TEMPLATES) {
      throw new InjectorError('INVALID_ANNOTATION', `invalid value '${shownValue(requested)}' for annotation '${TEMPLATES_ANNOTATION}': ${listed.length} templates, more than the ${MAX_TEMPLATES} a pod may select`);
    }
    return listed.map((t) => t.trim());
  }
  const selected = ((cfg.injector.defaultTemplates as string[] | undefined) ?? ['sidecar']).map((t) => t.trim()).filter((t) => t !== '');
  return selected.length > 0 ? selected : ['sidecar'];
}

function fragmentPod(fragment: Fragment): JsonObject {
  const spec: JsonObject = {};
  for (const list of LISTS) if ((fragment[list] ?? []).length > 0) spec[list] = fragment[list];
  if (fragment.securityContext !== undefined) spec.securityContext = fragment.securityContext;
  return { metadata: { labels: fragment.labels, annotations: fragment.annotations }, spec };
}

/**
 * The selected templates laid over one another, and (`listed`) the same without moving any
 * container between the lists, which is what the status annotation records, as Istio's does.
 */
function renderTemplates(pod: Pod, cfg: InjectorConfig, ctx: RenderContext): { merged: JsonObject; listed: JsonObject } {
  let merged: JsonObject = {};
  let listed: JsonObject = {};
  const custom = (cfg.injector.templates ?? {}) as Record<string, string>;
  for (const name of selectTemplates(pod, cfg)) {
    let fragment: JsonObject;
    if (Object.hasOwn(custom, name) && !Object.hasOwn(BUILTIN, name)) fragment = renderCustomTemplate(name, custom[name]!, pod);
    else if (Object.hasOwn(BUILTIN, name)) fragment = fragmentPod(BUILTIN[name]!(ctx));
    else throw new InjectorError('INVALID_ANNOTATION', `invalid value '${shownValue(pod.metadata?.annotations?.[TEMPLATES_ANNOTATION] ?? name)}' for annotation '${TEMPLATES_ANNOTATION}': template '${shownValue(name)}', which is not defined (built in: ${Object.keys(BUILTIN).join(', ')}; configured: ${Object.keys(custom).join(', ') || 'none'})`);
    listed = overlayObject(listed, fragment, true);
    merged = foldIntoInitContainers(overlayObject(moveToInitContainers(merged, fragment), fragment, true));
  }
  return { merged, listed };
}

/**
 * A template that makes a container a native sidecar (in `initContainers`) takes the one an earlier
 * template put in `containers` along, as Istio moves it before merging.
 */
function moveToInitContainers(merged: JsonObject, fragment: JsonObject): JsonObject {
  const moving = new Set(names(fragment.spec?.initContainers));
  const containers = (merged.spec?.containers ?? []) as JsonObject[];
  if (!containers.some((c) => moving.has(String(c.name)))) return merged;
  const spec: JsonObject = { ...merged.spec };
  spec.initContainers = [...(spec.initContainers ?? []), ...containers.filter((c) => moving.has(String(c.name)))];
  const rest = containers.filter((c) => !moving.has(String(c.name)));
  if (rest.length > 0) spec.containers = rest;
  else delete spec.containers;
  return { ...merged, spec };
}

/**
 * A later template may address the proxy under `containers` (as Istio's SPIRE overlay does) when
 * an earlier one made it a native sidecar in `initContainers`: the two are one container (Istio
 * leaves two of one name, which the apiserver refuses).
 */
function foldIntoInitContainers(template: JsonObject): JsonObject {
  const spec = template.spec as JsonObject | undefined;
  const init = spec?.initContainers as JsonObject[] | undefined;
  const containers = spec?.containers as JsonObject[] | undefined;
  if (init === undefined || containers === undefined) return template;
  const initNames = new Set(names(init));
  const folded = containers.filter((c) => initNames.has(String(c.name)));
  if (folded.length === 0) return template;
  spec!.initContainers = init.map((c) => {
    const extra = folded.find((f) => f.name === c.name);
    return extra === undefined ? c : overlayObject(c, extra);
  });
  const rest = containers.filter((c) => !initNames.has(String(c.name)));
  if (rest.length > 0) spec!.containers = rest;
  else delete spec!.containers;
  return template;
}

/** Takes the user's containers that share a name with injected ones out of the pod. */
function takeUserOverrides(pod: Pod, injectedNames: Set<string>): JsonObject[] {
  const taken: JsonObject[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    const items = pod.spec![list] as JsonObject[] | undefined;
    if (items === undefined) continue;
    const kept = items.filter((c) => {
      if (!injectedNames.has(String(c.name))) return true;
      taken.push(c);
      return false;
    });
    if (kept.length > 0) pod.spec![list] = kept;
    else delete pod.spec![list];
  }
  return taken;
}

/** The user's container as recorded: `image: auto` means "the injected image". */
function userOverride(container: JsonObject): JsonObject {
  const overlay = canonicalResources({ ...container });
  if (overlay.image === 'auto') delete overlay.image;
  return overlay;
}

/** What of the user's container is laid over the injected one. */
function userOverlay(container: JsonObject): JsonObject {
  return userOverride(container);
}

function canonicalResources(container: JsonObject): JsonObject {
  const resources: unknown = container.resources;
  if (typeof resources !== 'object' || resources === null) return container;
  const out: JsonObject = {};
  for (const [section, quantities] of Object.entries(resources)) {
    // A user's invalid quantity is left as it is, for the type check to name.
    setOwn(out, section, typeof quantities === 'object' && quantities !== null
      ? Object.fromEntries(Object.entries(quantities).map(([k, q]) => [k, isValidQuantity(q as string) ? goQuantityString(q as string) : q]))
      : quantities);
  }
  return { ...container, resources: out };
}

/**
 * Istio looks up the override of an injected init container in both lists of the incoming pod and
 * skips only the names the previous status listed as init containers. So a proxy injected as a
 * regular container, then re-injected as a native sidecar, keeps its earlier settings over the
 * template's (Istio's merge-probers case). Not recorded in the overrides annotation: Istio writes
 * that only on a first injection.
 */
function reapplyMovedContainers(pod: Pod, previous: PreviousInjection, userOverrides: JsonObject[], ctx: RenderContext, adjustsUser: boolean): void {
  const before = previous.items.get('containers');
  const init = pod.spec!.initContainers as JsonObject[] | undefined;
  if (before === undefined || before.size === 0 || init === undefined) return;
  const listedInit = previous.listed.get('initContainers') ?? new Set<string>();
  const overridden = new Set(names(userOverrides));
  pod.spec!.initContainers = init.map((c) => {
    const name = String(c.name ?? '');
    const old = before.get(name);
    if (old === undefined || listedInit.has(name) || overridden.has(name)) return c;
    return applyUserContainer(c, old, ctx, old, adjustsUser);
  });
}

/**
 * The injected container with the user's own settings laid over it, in Istio's two steps: the
 * template is merged over the pod's own container of that name (`base`), then the user's setting
 * (the pod's container, or its proxy.istio.io/overrides entry) over the result, each a strategic
 * merge (the order of merged lists depends on both steps).
 */
function applyUserContainer(injected: JsonObject, user: JsonObject, ctx: RenderContext, base: JsonObject | null, adjustsUser: boolean): JsonObject {
  const overlay = userOverlay(user);
  const first = base === null ? injected : overlayObject(base === user ? overlay : userOverlay(base), injected, true);
  const result = overlayObject(first, overlay, true);
  // `image: auto` asks for the injected image; where the template gives none (an app container a
  // template lays settings over), Istio keeps 'auto'.
  if (result.image === undefined && (user.image === 'auto' || base?.image === 'auto')) result.image = 'auto';
  // With TPROXY in the mesh config or the pod's annotation, Istio makes a user-set runAsUser root
  // (even where the annotation chose another mode for the template) when it adjusts the proxy user,
  // which it does only for a pod with istio-init or istio-validation.
  if (adjustsUser && user.name === 'istio-proxy' && ctx.tproxyAnywhere && user.securityContext?.runAsUser !== undefined && result.securityContext !== undefined) {
    result.securityContext = { ...result.securityContext, runAsUser: 0 };
  }
  return result;
}

/**
 * A `sidecar.istio.io/userVolumeMount` naming a volume that neither the pod nor
 * `sidecar.istio.io/userVolume` defines would make the apiserver refuse the pod: say so, naming
 * the annotation, instead of failing as an internal error.
 */
function checkUserVolumeMounts(pod: Pod, ctx: RenderContext): void {
  const raw = ctx.annotations['sidecar.istio.io/userVolumeMount'];
  if (raw === undefined) return;
  let entries: Array<[string, JsonObject]>;
  try {
    entries = userJsonMap(ctx, 'sidecar.istio.io/userVolumeMount');
  } catch {
    return; // only a template that reads the annotation refuses it, and then it has already
  }
  // Only the mounts a template added from the annotation.
  const mounted = new Set(names(findProxy(pod)?.volumeMounts));
  const volumes = new Set(names(pod.spec?.volumes));
  const missing = entries.map(([name]) => name).filter((name) => mounted.has(name) && !volumes.has(name));
  if (missing.length > 0) {
    throw new InjectorError(
      'INVALID_ANNOTATION',
      `invalid value '${shownValue(raw)}' for annotation 'sidecar.istio.io/userVolumeMount': volume(s) ${shownValue(missing.map((m) => `'${m}'`).join(', '))} defined neither by the pod nor by sidecar.istio.io/userVolume`,
    );
  }
}

/**
 * Istio's final ordering. Init containers: when istio-proxy is one of them (a native sidecar),
 * istio-init, istio-validation, istio-proxy and enable-core-dump come first, so the pod's own init
 * containers are in the mesh; otherwise istio-validation comes first and istio-init and
 * enable-core-dump last, so iptables does not hold up the others. Containers: istio-proxy last,
 * or first when the application waits for it.
 */
function reorder(pod: Pod, ctx: RenderContext): void {
  const spec = pod.spec!;
  const init = (spec.initContainers ?? []) as JsonObject[];
  const byName = (name: string) => init.filter((c) => c.name === name);
  const named = ['istio-init', 'istio-validation', 'istio-proxy', 'enable-core-dump'];
  const others = init.filter((c) => !named.includes(String(c.name)));
  const ordered = init.some((c) => c.name === 'istio-proxy')
    ? [...byName('istio-init'), ...byName('istio-validation'), ...byName('istio-proxy'), ...byName('enable-core-dump'), ...others]
    : [...byName('istio-validation'), ...others, ...byName('istio-init'), ...byName('enable-core-dump')];
  if (ordered.length > 0) spec.initContainers = ordered;
  const containers = (spec.containers ?? []) as JsonObject[];
  const proxy = containers.filter((c) => c.name === 'istio-proxy');
  const apps = containers.filter((c) => c.name !== 'istio-proxy');
  const hold = ctx.proxyConfig.holdApplicationUntilProxyStarts === true || ctx.values.global.proxy.holdApplicationUntilProxyStarts === true;
  spec.containers = hold ? [...proxy, ...apps] : [...apps, ...proxy];
}

/**
 * The status annotation: `JSON.stringify` of the names of what the templates add, by list (null for
 * none), and the revision. Written directly: it is made on every review.
 */
function statusAnnotation(template: JsonObject, revision: string): string {
  const spec = (template.spec ?? {}) as JsonObject;
  const list = (name: ListName) => {
    const n = names(spec[name]);
    return n.length > 0 ? `[${n.map(jsonString).join(',')}]` : 'null';
  };
  return `{"initContainers":${list('initContainers')},"containers":${list('containers')},"volumes":${list('volumes')},"imagePullSecrets":${list('imagePullSecrets')},"revision":${jsonString(revision || 'default')}}`;
}

function findProxy(pod: Pod): JsonObject | undefined {
  const isProxy = (c: JsonObject) => c.name === 'istio-proxy';
  return ((pod.spec?.initContainers ?? []) as JsonObject[]).find(isProxy) ?? ((pod.spec?.containers ?? []) as JsonObject[]).find(isProxy);
}

function hasEnv(container: JsonObject, name: string): boolean {
  return ((container.env ?? []) as JsonObject[]).some((e) => e.name === name);
}

function setEnv(container: JsonObject, name: string, value: string): void {
  const env = ((container.env ?? []) as JsonObject[]).filter((e) => e.name !== name);
  env.push({ name, value });
  container.env = env;
}

/**
 * The cluster and network the proxy reports, as Istio settles them: the values', then the webhook
 * URL's, then the pod's own `topology.istio.io/network` label (even empty). Those that are set are
 * written last among the proxy's variables (sorted), and the network also as the pod's label.
 */
function applyClusterInfo(pod: Pod, ctx: RenderContext, proxy: JsonObject | undefined): void {
  const global = ctx.values.global;
  const cluster = ctx.clusterId || String(global.multiCluster?.clusterName ?? '');
  const networkLabel = ctx.labels['topology.istio.io/network'];
  // The label wins even empty; then the values' network stays where the template put it.
  const network = networkLabel ?? (ctx.network || String(global.network ?? ''));
  if (proxy !== undefined) {
    if (cluster !== '') setEnv(proxy, 'ISTIO_META_CLUSTER_ID', cluster);
    if (network !== '') setEnv(proxy, 'ISTIO_META_NETWORK', network);
  }
  if (network !== '') pod.metadata!.labels = { ...pod.metadata!.labels, 'topology.istio.io/network': network };
}

/** Templates may turn rewriting off, so the rendered pod's annotation decides. */
function probeRewriteEnabled(pod: Pod, ctx: RenderContext): boolean {
  return shouldRewriteAppProbes(pod.metadata?.annotations, ctx.values.sidecarInjectorWebhook?.rewriteAppHTTPProbe !== false);
}

/**
 * Gives the merged pod labels and annotations of its own. The overlay leaves the merged pod with
 * the working copy's maps when the templates set none (a custom template); those are the review's
 * pod's (or, on a re-injection, the annotations the context reads), which rendering must not change.
 */
function ownMetadataMaps(merged: Pod, workingPod: Pod): void {
  const meta = merged.metadata!;
  const shared = workingPod.metadata!;
  if (meta.labels !== undefined && meta.labels === shared.labels) meta.labels = { ...meta.labels };
  if (meta.annotations !== undefined && meta.annotations === shared.annotations) meta.annotations = { ...meta.annotations };
}

/** Renders the injected pod. Throws InjectorError for invalid annotations or templates. */
export function renderPod(req: InjectionRequest, cfg: InjectorConfig): Pod {
  validateAnnotations(req.pod.metadata?.annotations ?? {});
  const pod = workingCopy(req.pod);
  pod.metadata ??= {};
  pod.spec ??= { containers: [] };
  const previous = stripPreviousInjection(pod);
  const entries = overrideEntries(pod);

  // The templates see the pod with its overrides entries added as containers (as Istio's do: the
  // app containers, the ports, the OpenTelemetry version count them); the pod they are merged
  // into does not have them.
  const templatePod = withOverrideEntries(pod, entries);
  const ctx = buildContext(req, cfg, templatePod, pod);
  const { merged: template, listed } = renderTemplates(templatePod, cfg, ctx);
  const spec = (template.spec ?? {}) as JsonObject;
  const injectedNames = new Set([...names(spec.initContainers), ...names(spec.containers)]);
  const own = new Map(takeUserOverrides(pod, injectedNames).map((c) => [String(c.name), c]));
  // The user's setting for each injected container: its overrides entry, else the pod's own.
  const overrides: Array<{ base: JsonObject | null; overlay: JsonObject }> = [];
  for (const list of ['containers', 'initContainers'] as const) {
    for (const name of names(spec[list])) {
      const overlay = entries[list].get(name) ?? own.get(name);
      if (overlay !== undefined && !overrides.some((o) => o.overlay.name === name)) overrides.push({ base: own.get(name) ?? null, overlay });
    }
  }

  const merged = overlayObject(pod, template, true) as Pod;
  // Istio adjusts the proxy user to the user's settings only in a pod with either of these.
  const adjustsUser = names(merged.spec!.initContainers).some((n) => n === 'istio-init' || n === 'istio-validation');
  ownMetadataMaps(merged, pod);
  const overrideRecord: Partial<Record<'containers' | 'initContainers', JsonObject[]>> = {};
  for (const { base, overlay: user } of overrides) {
    const list = names(merged.spec!.initContainers).includes(String(user.name)) ? 'initContainers' : 'containers';
    merged.spec![list] = (merged.spec![list] as JsonObject[]).map((c) => (c.name === user.name ? applyUserContainer(c, user, ctx, base, adjustsUser) : c));
    (overrideRecord[list] ??= []).push(userOverride(user));
  }

  reapplyMovedContainers(merged, previous, overrides.map((o) => o.overlay), ctx, adjustsUser);
  checkUserVolumeMounts(merged, ctx);
  carryOverDefaults(merged, previous);
  reorder(merged, ctx);
  const meta = merged.metadata!;
  meta.annotations ??= {};
  const proxy = findProxy(merged);
  // Istio's post-processing order, which the order of the proxy's variables shows: cluster and
  // network, the Prometheus merge, then probe rewriting.
  applyClusterInfo(merged, ctx, proxy);
  applyPrometheusMerge(merged, ctx, proxy);
  if (proxy !== undefined && previous.unreadableScrape !== undefined && !hasEnv(proxy, 'ISTIO_PROMETHEUS_ANNOTATIONS')) {
    setEnv(proxy, 'ISTIO_PROMETHEUS_ANNOTATIONS', previous.unreadableScrape);
  }
  // Where Istio would point the probes at port 0 (a status port annotation of "0", or one Go's
  // Atoi cannot read), which the apiserver refuses, they are left as they are.
  if (proxy !== undefined && ctx.probePort > 0 && probeRewriteEnabled(merged, ctx)) {
    // Earlier probers were already restored onto the probes, so nothing is merged here.
    const probers = appProbersJson(merged, ctx.probePort, { existingProbers: null, targetPort: ctx.meshStatusPort });
    // Istio rewrites even probes it records nothing for (a named port the container lacks).
    rewriteAppProbes(merged, ctx.probePort);
    keepProbeDefaults(merged, ctx.probePort, previous.probes);
    if (probers !== '') setEnv(proxy, 'ISTIO_KUBE_APP_PROBERS', probers);
  }
  if (proxy !== undefined && previous.unreadableProbers !== undefined) setEnv(proxy, 'ISTIO_KUBE_APP_PROBERS', previous.unreadableProbers);
  for (const [key, value] of Object.entries((cfg.injector.injectedAnnotations ?? {}) as Record<string, string>)) setOwn(meta.annotations, key, value);
  // Istio records the overrides only on a pod that carries no status annotation (whatever its
  // value); a re-injected pod keeps the record it has.
  if (Object.keys(overrideRecord).length > 0 && req.pod.metadata?.annotations?.[STATUS_ANNOTATION] === undefined) {
    const record: Record<string, string[]> = {};
    if (overrideRecord.containers) record.containers = overrideRecord.containers.map(goContainerJson) as never;
    if (overrideRecord.initContainers) record.initContainers = overrideRecord.initContainers.map(goContainerJson) as never;
    meta.annotations[OVERRIDES_ANNOTATION] = `{${Object.entries(record).map(([k, v]) => `"${k}":[${v.join(',')}]`).join(',')}}`;
  }
  meta.annotations[STATUS_ANNOTATION] = statusAnnotation(listed, ctx.revision);
  return merged;
}
