import type { ConfigurationOptions, CoreV1Api, ObservableMiddleware, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { selectKubeconfig } from '../domain/kubeconfig.ts';
import type { OutboundPolicy } from '../net/outbound.ts';
import type { KubernetesReader, KubernetesToolSettings, ToolText } from '../ports/agent-runtime.ts';
import { columns } from './text-table.ts';

/** Items a list asks the API server for; it says so when there were more. */
const LIST_LIMIT = 500;
const DEFAULT_TAIL_LINES = 100;
const MAX_TAIL_LINES = 1000;
const MAX_LOG_BYTES = 256 * 1024;

export interface KubernetesReaderOptions {
  /** Which addresses the API server may be at. */
  outbound: OutboundPolicy;
  requestTimeoutMs?: number;
  now?: () => Date;
}

/**
 * The `kubernetes_readonly` built-in, through the official client (@kubernetes/client-node): only
 * GET requests exist here. The client is built from the kubeconfig's chosen context alone, with
 * inline credentials (see selectKubeconfig), and loaded on first use (the library takes ~0.5 s to
 * import).
 */
export class ClientNodeKubernetesReader implements KubernetesReader {
  private client: Promise<{ api: CoreV1Api; options: ConfigurationOptions; host: string }> | undefined;
  private readonly requestTimeoutMs: number;
  private readonly now: () => Date;
  private readonly outbound: OutboundPolicy;

  constructor(
    private readonly settings: KubernetesToolSettings,
    options: KubernetesReaderOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.outbound = options.outbound;
    this.now = options.now ?? (() => new Date());
  }

  listNamespaces(): Promise<ToolText> {
    return this.call(async (api, options) => {
      const list = await api.listNamespace({ limit: LIST_LIMIT }, options);
      const rows = list.items.map((ns: V1Namespace) => [ns.metadata?.name ?? '', ns.status?.phase ?? '', this.age(ns.metadata?.creationTimestamp)]);
      return withMore(columns(['NAME', 'STATUS', 'AGE'], rows), rows.length, list.metadata?._continue);
    });
  }

  listPods(namespace: string): Promise<ToolText> {
    return this.call(async (api, options) => {
      const list = await api.listNamespacedPod({ namespace, limit: LIST_LIMIT }, options);
      if (list.items.length === 0) return `No pods in namespace ${namespace}.`;
      const rows = list.items.map((pod: V1Pod) => {
        const statuses = pod.status?.containerStatuses ?? [];
        return [
          pod.metadata?.name ?? '',
          `${statuses.filter((c) => c.ready).length}/${pod.spec?.containers.length ?? statuses.length}`,
          podStatus(pod),
          String(statuses.reduce((sum, c) => sum + c.restartCount, 0)),
          this.age(pod.metadata?.creationTimestamp),
          pod.status?.podIP ?? '<none>',
          pod.spec?.nodeName ?? '<none>',
        ];
      });
      return withMore(columns(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE'], rows), rows.length, list.metadata?._continue);
    });
  }

  describePod(namespace: string, name: string): Promise<ToolText> {
    return this.call(async (api, options) => describe(await api.readNamespacedPod({ namespace, name }, options)));
  }

  podLogs(namespace: string, name: string, { container, tailLines }: { container?: string | undefined; tailLines?: number | undefined }): Promise<ToolText> {
    const lines = Math.min(Math.max(1, tailLines ?? DEFAULT_TAIL_LINES), MAX_TAIL_LINES);
    return this.call(async (api, options) => {
      const log = await api.readNamespacedPodLog({ namespace, name, container, tailLines: lines, limitBytes: MAX_LOG_BYTES }, options);
      return log === '' ? '(the log is empty)' : log.replace(/\n$/, '');
    });
  }

  private async call(run: (api: CoreV1Api, options: ConfigurationOptions) => Promise<string>): Promise<ToolText> {
    try {
      const { api, options, host } = await this.load();
      await this.outbound.addressesOf(host);
      return { text: await run(api, options), isError: false };
    } catch (error) {
      return { text: describeError(error, this.requestTimeoutMs), isError: true };
    }
  }

  private load() {
    this.client ??= (async () => {
      const selection = selectKubeconfig(this.settings.kubeconfig, this.settings.context);
      const k8s = await import('@kubernetes/client-node');
      const config = new k8s.KubeConfig();
      config.loadFromOptions({ clusters: [selection.cluster], users: [selection.user], contexts: [selection.context], currentContext: selection.context.name });
      // Each request gets its own deadline: an API server that stops answering fails the call, not the turn.
      const deadline: ObservableMiddleware = {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
          return new k8s.Observable(Promise.resolve(context));
        },
        post: (context) => new k8s.Observable(Promise.resolve(context)),
      };
      const host = new URL(selection.cluster.server).hostname;
      return { api: config.makeApiClient(k8s.CoreV1Api), options: { middleware: [deadline], middlewareMergeStrategy: 'append' as const }, host };
    })();
    return this.client;
  }

  private age(since: Date | undefined): string {
    if (!since) return '<unknown>';
    const seconds = Math.max(0, Math.floor((this.now().getTime() - new Date(since).getTime()) / 1000));
    if (seconds < 120) return `${seconds}s`;
    if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
    if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
    return `${Math.floor(seconds / 86400)}d`;
  }
}

/** What kubectl shows in STATUS: a waiting or terminated container's reason, else the phase. */
function podStatus(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of pod.status?.containerStatuses ?? []) {
    const reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
}

const iso = (date: Date | undefined) => (date ? new Date(date).toISOString() : '<unknown>');

function describe(pod: V1Pod): string {
  const meta = pod.metadata ?? {};
  const owner = meta.ownerReferences?.find((ref) => ref.controller);
  const labels = Object.entries(meta.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const lines = [
    `Name:         ${meta.name ?? ''}`,
    `Namespace:    ${meta.namespace ?? ''}`,
    `Node:         ${pod.spec?.nodeName ?? '<none>'}${pod.status?.hostIP ? `/${pod.status.hostIP}` : ''}`,
    `Start Time:   ${iso(pod.status?.startTime)}`,
    `Labels:       ${labels.length > 0 ? labels.join(', ') : '<none>'}`,
    `Status:       ${podStatus(pod)}`,
    `IP:           ${pod.status?.podIP ?? '<none>'}`,
    ...(owner ? [`Controlled By: ${owner.kind}/${owner.name}`] : []),
    'Containers:',
  ];
  for (const container of pod.spec?.containers ?? []) {
    const status = pod.status?.containerStatuses?.find((s) => s.name === container.name);
    const state = status?.state;
    const stateText = state?.running
      ? `Running (since ${iso(state.running.startedAt)})`
      : state?.waiting
        ? `Waiting (${state.waiting.reason ?? 'unknown'}${state.waiting.message ? `: ${state.waiting.message}` : ''})`
        : state?.terminated
          ? `Terminated (${state.terminated.reason ?? 'unknown'}, exit code ${state.terminated.exitCode})`
          : '<unknown>';
    const ports = (container.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    lines.push(
      `  ${container.name}:`,
      `    Image:     ${container.image ?? ''}`,
      `    Ports:     ${ports.length > 0 ? ports.join(', ') : '<none>'}`,
      `    State:     ${stateText}`,
      `    Ready:     ${status?.ready ?? false}`,
      `    Restarts:  ${status?.restartCount ?? 0}`,
    );
  }
  const conditions = (pod.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`);
  lines.push(`Conditions:   ${conditions.length > 0 ? conditions.join(', ') : '<none>'}`);
  const volumes = (pod.spec?.volumes ?? []).map((v) => v.name);
  lines.push(`Volumes:      ${volumes.length > 0 ? volumes.join(', ') : '<none>'}`);
  return lines.join('\n');
}

const withMore = (text: string, count: number, more: string | undefined) => (more ? `${text}\n(first ${count}; more exist)` : text);

/** The API server's own message (its Status body), or what went wrong on the way. */
function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return `ERROR: no answer from the Kubernetes API within ${timeoutMs} ms`;
  const e = error as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof e.code === 'number' && e.body !== undefined) {
    let message = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
    try {
      const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: unknown };
      if (typeof status.message === 'string') message = status.message;
    } catch {
      // not a Status object: keep the body as it came
    }
    return `ERROR: the Kubernetes API answered ${e.code}: ${message.slice(0, 2000)}`;
  }
  return `ERROR: ${typeof e.message === 'string' ? e.message : String(error)}`;
}
