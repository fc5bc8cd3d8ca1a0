/**
 * The two injectors under comparison, one document at a time, each with given settings:
 * Istio's kube-inject path (the peer's `inject-batch`, one long-lived process) and ours (the
 * engine of our `kube-inject` command, in process, with the configuration loaded from the same
 * files the command would read).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig, type InjectorConfig } from '../../src/config/index.js';
import { InjectorError } from '../../src/errors.js';
import { injectYaml } from '../../src/kube-inject/inject-documents.js';
import { settingsKey, writeSettings, type Settings } from './settings.js';

/**
 * What an injector made of one document: its output (and, once read back as Kubernetes tools read
 * YAML, its documents), or the error it stopped with.
 */
export type Outcome = { output: string; documents?: unknown[]; unreadable?: string } | { error: string; crash?: boolean };

/** Istio's injector behind `istio-peer inject-batch`; requests are answered in order. */
export class IstioPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private stderr = '';

  constructor(binary: string) {
    this.child = spawn(binary, ['inject-batch', '--log-level', 'none'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`istio-peer exited (${code ?? signal}): ${this.stderr}`));
    });
  }

  /** Injects each document on its own with the settings. */
  async inject(settings: Settings, documents: string[]): Promise<Outcome[]> {
    const line = await new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ settings: { ...settings, revision: '' }, documents })}\n`);
    });
    const answer = JSON.parse(line) as { error?: string; results?: { output?: string; documents?: unknown[]; error?: string; panic?: boolean }[] };
    if (answer.error !== undefined) throw new Error(`istio-peer refused the settings: ${answer.error}`);
    return (answer.results ?? []).map((r) => (r.error !== undefined ? { error: r.error, ...(r.panic === true ? { crash: true } : {}) } : { output: r.output ?? '', documents: r.documents ?? [] }));
  }

  /** Reads YAML texts as Kubernetes tools do (sigs.k8s.io/yaml), each as its JSON documents. */
  async parse(texts: string[]): Promise<Array<{ documents: unknown[] } | { error: string }>> {
    const line = await new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ parse: texts })}\n`);
    });
    const answer = JSON.parse(line) as { error?: string; parsed?: Array<{ documents?: unknown[]; error?: string }> };
    if (answer.error !== undefined) throw new Error(`istio-peer: ${answer.error}`);
    return (answer.parsed ?? []).map((p) => (p.error !== undefined ? { error: p.error } : { documents: p.documents ?? [] }));
  }

  /** Gives each output of ours its documents, read back by Kubernetes' own YAML reader. */
  async readBack(outcomes: Outcome[]): Promise<void> {
    const outputs = outcomes.filter((o): o is { output: string; documents?: unknown[]; unreadable?: string } => 'output' in o);
    if (outputs.length === 0) return;
    const parsed = await this.parse(outputs.map((o) => o.output));
    outputs.forEach((o, i) => {
      const p = parsed[i]!;
      if ('error' in p) o.unreadable = p.error;
      else o.documents = p.documents;
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

/** Our kube-inject, in process; configurations are loaded once per settings from their files. */
export class OurInjector {
  private readonly configs = new Map<string, Promise<InjectorConfig>>();

  constructor(private readonly settingsDir: string) {}

  /** The directory holding the settings' files (values.json, mesh.yaml, config.yaml). */
  filesOf(settings: Settings): ReturnType<typeof writeSettings> {
    return writeSettings(join(this.settingsDir, settingsKey(settings)), settings);
  }

  private config(settings: Settings): Promise<InjectorConfig> {
    const key = settingsKey(settings);
    let config = this.configs.get(key);
    if (config === undefined) {
      config = loadConfig(this.filesOf(settings));
      this.configs.set(key, config);
    }
    return config;
  }

  async inject(settings: Settings, documents: string[]): Promise<Outcome[]> {
    const config = await this.config(settings);
    return documents.map((doc) => {
      try {
        return { output: injectYaml(doc, config, { nativeSidecars: settings.nativeSidecars }) };
      } catch (err) {
        // The CLI prints an InjectorError's message; anything else is a crash.
        if (err instanceof InjectorError) return { error: err.message };
        return { error: (err as Error)?.stack ?? String(err), crash: true };
      }
    });
  }
}
