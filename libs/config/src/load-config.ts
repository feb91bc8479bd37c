import { readFileSync } from 'node:fs';
import { ConfigError, parseSetting, type Setting } from './setting';

/** A tree of settings: the shape of an app's configuration. */
export interface SettingTree {
  readonly [key: string]: Setting<unknown> | SettingTree;
}

/** The typed values of a SettingTree. */
export type ConfigOf<S extends SettingTree> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : S[K] extends SettingTree ? ConfigOf<S[K]> : never;
};

export interface LoadConfigOptions {
  /** The environment to read. Default: process.env. */
  env?: Record<string, string | undefined>;
  /**
   * A JSON file whose nested keys mirror the tree (`{"kafka": {"brokers": ["h:9092"]}}`).
   * Default: the file named by EARSHOT_CONFIG_FILE, or none.
   */
  file?: string | null;
}

function isSetting(node: Setting<unknown> | SettingTree): node is Setting<unknown> {
  return typeof (node as Setting<unknown>).parse === 'function' && typeof (node as Setting<unknown>).env === 'string';
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('EARSHOT_CONFIG_FILE', `EARSHOT_CONFIG_FILE: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError('EARSHOT_CONFIG_FILE', `EARSHOT_CONFIG_FILE: ${path} is not a JSON object: ${(e as Error).message}`);
  }
}

/**
 * Loads and validates a configuration. The first wrong or missing value stops it with a
 * ConfigError whose message names the setting (its env var and file key) and the value found;
 * a file key that names no setting is an error too, so a typo does not pass silently.
 */
export function loadConfig<S extends SettingTree>(tree: S, options: LoadConfigOptions = {}): ConfigOf<S> {
  const env = options.env ?? process.env;
  const filePath = options.file === undefined ? env['EARSHOT_CONFIG_FILE'] ?? null : options.file;
  const file = filePath ? readFile(filePath) : {};

  const walk = (node: SettingTree, fileNode: unknown, path: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const fileObj = typeof fileNode === 'object' && fileNode !== null ? (fileNode as Record<string, unknown>) : {};
    for (const key of Object.keys(fileObj)) {
      if (!(key in node)) {
        throw new ConfigError([...path, key].join('.'), `${[...path, key].join('.')} (in ${filePath}) is not a setting`);
      }
    }
    for (const [key, child] of Object.entries(node)) {
      const keyPath = [...path, key];
      if (isSetting(child)) {
        const name = `${child.env} / ${keyPath.join('.')}`;
        const fromEnv = env[child.env];
        if (fromEnv !== undefined && fromEnv !== '') out[key] = parseSetting(name, child, fromEnv, 'environment');
        else if (key in fileObj) out[key] = parseSetting(name, child, fileObj[key], `file ${filePath}`);
        else if (child.default !== undefined) out[key] = child.default;
        else throw new ConfigError(name, `${name} is required and not set`);
      } else {
        out[key] = walk(child, fileObj[key], keyPath);
      }
    }
    return out;
  };
  return walk(tree, file, []) as ConfigOf<S>;
}

/** The configuration reference as Markdown table rows: env var, file key, default, meaning. */
export function describeConfig(tree: SettingTree, path: string[] = []): string[] {
  const rows: string[] = [];
  for (const [key, child] of Object.entries(tree)) {
    if (isSetting(child)) {
      rows.push(`| \`${child.env}\` | \`${[...path, key].join('.')}\` | \`${child.shownDefault}\` | ${child.doc} |`);
    } else {
      rows.push(...describeConfig(child, [...path, key]));
    }
  }
  return rows;
}
