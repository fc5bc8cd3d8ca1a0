/**
 * Configuration hot reload: the mounted files are polled (ConfigMap volumes swap files through
 * symlinks, so bytes are compared); a valid change replaces the configuration at once, an invalid
 * one is logged and counted while the last good configuration keeps serving.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { loadConfig, type ConfigFiles, type InjectorConfig } from './index.js';

export interface ConfigWatcherOptions {
  logger: Logger;
  intervalMs?: number;
  onReload?: (success: boolean) => void;
}

function watchedPaths(files: ConfigFiles): string[] {
  const paths = [files.valuesFile, files.meshConfigFile, files.injectConfigFile].filter((p): p is string => p !== undefined);
  if (files.dir !== undefined) paths.push(join(files.dir, 'values'), join(files.dir, 'config'), join(files.dir, 'mesh'));
  return paths;
}

async function fingerprint(paths: string[]): Promise<string> {
  const contents = await Promise.all(paths.map((p) => readFile(p, 'utf8').catch(() => '\u0000absent')));
  return contents.join('\u0000');
}

export class ConfigWatcher {
  private current!: InjectorConfig;
  private last = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly paths: string[];

  constructor(
    private readonly files: ConfigFiles,
    private readonly options: ConfigWatcherOptions,
  ) {
    this.paths = watchedPaths(files);
  }

  /** The configuration in force. */
  get(): InjectorConfig {
    return this.current;
  }

  /** Loads the files (throwing, so a broken start fails fast), then polls them. */
  async start(): Promise<InjectorConfig> {
    this.last = await fingerprint(this.paths);
    this.current = await loadConfig(this.files);
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 5000);
    this.timer.unref();
    return this.current;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Reloads when the files changed. Exposed for tests. */
  async poll(): Promise<void> {
    const now = await fingerprint(this.paths);
    if (now === this.last) return;
    this.last = now;
    try {
      this.current = await loadConfig(this.files);
      this.options.logger.info({ sources: this.current.sources }, 'configuration reloaded');
      this.options.onReload?.(true);
    } catch (err) {
      this.options.logger.error({ problem: (err as Error).message }, 'configuration change rejected; the previous configuration stays in force');
      this.options.onReload?.(false);
    }
  }
}
