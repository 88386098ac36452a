/**
 * Live reload (SIGHUP, REHASH): reads the config file, the MOTD and the TLS
 * key pair again, applies the settings the table marks live to the running
 * server, and names in the log the changed ones that need a restart. A file
 * that does not load leaves everything as it was.
 *
 * @module
 */

import { changedSettings } from "../settings/config_file.ts";
import { loadKeyPair } from "../tls/key_pair.ts";
import type { ReloadReport, ServerContext } from "./context.ts";
import {
  type LoadedConfig,
  loadServerConfig,
  resolveOptions,
  type ServerOptions,
} from "./options.ts";
import { SERVER_SETTINGS, type ServerSettingValues } from "./settings.ts";

/** Reads a MOTD file into lines. Throws naming the file when it cannot be read. */
export async function readMotd(path: string): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(path);
    return text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(`--motd ${path}: cannot read the MOTD file (${reason})`);
  }
}

/** Something serving TLS whose key pair can be replaced (the TLS and HTTPS listeners). */
export interface KeyPairHolder {
  /** Serves new connections with this pair from now on. */
  setKeyPair?(pair: { cert: string; key: string }): void;
}

/** The running server a {@link Reloader} changes. */
export interface ReloadTarget {
  /** The context whose options and MOTD are replaced. */
  context: ServerContext;
  /** The TLS listeners to give a new key pair. */
  keyPairHolders: () => KeyPairHolder[];
}

/** Applies reloads to one running server, remembering the values it runs with. */
export class Reloader {
  #target: ReloadTarget;
  #config: LoadedConfig | undefined;
  #running: Promise<ReloadReport> | undefined;

  /** `config` is the file the server started from, if any. */
  constructor(target: ReloadTarget, config: LoadedConfig | undefined) {
    this.#target = target;
    this.#config = config;
  }

  /** Reloads (one at a time: a reload asked for during another waits for it) and logs the outcome. */
  reload(): Promise<ReloadReport> {
    const previous = this.#running ?? Promise.resolve();
    const next = previous.then(() => this.#reloadOnce());
    this.#running = next;
    return next;
  }

  async #reloadOnce(): Promise<ReloadReport> {
    const { context } = this.#target;
    const source = this.#config?.file ?? "the MOTD and TLS files";
    try {
      const report = await this.#apply();
      const changed = report.changed.length === 0
        ? "nothing changed"
        : `changed ${report.changed.join(", ")}`;
      context.log(`reloaded ${source}: ${changed}`);
      if (report.restartNeeded.length > 0) {
        context.log(
          `reload: ${
            report.restartNeeded.join(", ")
          } changed but need a restart; keeping the running values`,
        );
      }
      return report;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      context.log(
        `reload failed, keeping the running config: ${reason}`,
        "warn",
      );
      return { ok: false, error: reason, changed: [], restartNeeded: [] };
    }
  }

  async #apply(): Promise<ReloadReport> {
    const { context } = this.#target;
    const options = context.options;
    let next: ServerOptions = options;
    let values: ServerSettingValues | undefined;
    const changes = { live: [] as string[], restart: [] as string[] };
    if (this.#config !== undefined) {
      const loaded = await loadServerConfig(this.#config);
      next = resolveOptions({ ...loaded.parsed.options, log: options.log });
      values = loaded.config.values;
      Object.assign(
        changes,
        changedSettings(SERVER_SETTINGS, this.#config.values, values),
      );
    }
    if (options.tls === undefined) {
      // No TLS listener to hand a key pair to: that takes a restart.
      const tlsRows = ["cert", "key"];
      changes.restart.push(...changes.live.filter((n) => tlsRows.includes(n)));
      changes.live = changes.live.filter((n) => !tlsRows.includes(n));
    }
    // Everything that can fail comes before anything changes.
    const motd = next.motd === undefined
      ? undefined
      : await readMotd(next.motd);
    const tls = options.tls === undefined || next.tls === undefined
      ? undefined
      : {
        ...options.tls,
        certFile: next.tls.certFile,
        keyFile: next.tls.keyFile,
      };
    if (tls !== undefined) {
      const pair = await loadKeyPair(tls);
      for (const holder of this.#target.keyPairHolders()) {
        holder.setKeyPair?.(pair);
      }
      options.tls = tls;
    }
    context.motd = motd;
    for (const row of SERVER_SETTINGS) {
      if (!row.live || !("option" in row)) continue;
      Object.assign(options, { [row.option]: next[row.option] });
    }
    options.opers = next.opers;
    if (options.web !== undefined && next.web !== undefined) {
      options.web.origins = [...(next.web.origins ?? [])];
      options.web.trustedProxies = [...(next.web.trustedProxies ?? [])];
    }
    if (this.#config !== undefined && values !== undefined) {
      // Restart-only settings keep their running value, so the next reload
      // names them again until the server restarts.
      const kept: Record<string, unknown> = { ...values };
      const old = this.#config.values as Record<string, unknown>;
      for (const name of changes.restart) kept[name] = old[name];
      this.#config = { ...this.#config, values: kept as ServerSettingValues };
    }
    return {
      ok: true,
      changed: changes.live,
      restartNeeded: changes.restart,
    };
  }
}
