import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EarshotError } from '@earshot/errors';

/** The services `earshot run` starts, in start order. */
export const RUN_SERVICES = ['status', 'recorder', 'converter', 'call-control', 'rtp-collector'] as const;
export type RunService = (typeof RUN_SERVICES)[number];

/** Services that capture an interface: one process of each per interface. */
const CAPTURING: readonly RunService[] = ['call-control', 'rtp-collector'];
/** Services that read and write the recordings folder. */
const STORING: readonly RunService[] = ['recorder', 'converter', 'status'];
/** Keys every service has (libs/config commonSettings), given at the top of the file for all. */
const COMMON_KEYS = ['kafka', 'registry', 'logLevel', 'heartbeatIntervalMs'] as const;
/** Keys of the whole system, read by `earshot run` itself. */
const RUN_KEYS = ['interfaces', 'filter', 'stack', 'name', 'recordingsDir', 'postgres'] as const;

/** A configuration file that `earshot run` cannot use. */
export class RunConfigError extends EarshotError {
  constructor(message: string) {
    super(message, { reason: 'run-config' });
  }
}

/** What the user asked for on the command line (it wins over the environment and the file). */
export interface RunFlags {
  /** --interface (repeatable or comma list). Default: EARSHOT_CAPTURE_INTERFACE (comma list), the file's `interfaces`, else `lo`. */
  interfaces?: string[];
  /** --filter: BPF filter for both captures. Default: the file's `filter`, else each service's own. */
  filter?: string;
  /** --name: the instance ids' suffix (`recorder@<name>`). Default: the file's `name`, else the host name. */
  name?: string;
}

/** One process `earshot run` supervises. */
export interface RunChild {
  /** Unique, shown to the user: `recorder`, `rtp-collector/lo`. */
  name: string;
  app: RunService;
  instanceId: string;
  /** The service's own JSON configuration file (written to `configFile`). */
  fileContent: Record<string, unknown>;
  configFile: string;
  /** Environment the child gets beside ours: what the command line or `run` itself decides per child. */
  env: Record<string, string>;
}

/** The whole system as `earshot run` will start it. */
export interface RunPlan {
  interfaces: string[];
  filter: string | null;
  /** `local`: bring infra/local/stack up; `external`: use the Kafka, registry and PostgreSQL configured. */
  stack: 'local' | 'external';
  name: string;
  /** The one recordings folder of every part, absolute. */
  recordingsDir: string;
  brokers: string[];
  registryUrl: string;
  groupPrefix: string;
  statusUrl: string;
  adminPassword: string;
  /** Call control records every call whatever the directory says (EARSHOT_RECORD_EVERYONE). */
  recordEveryone: boolean;
  children: RunChild[];
}

export interface PlanRunOptions {
  /** The parsed configuration file, or null when there is none. */
  file: Record<string, unknown> | null;
  /** Where the file is, for messages. */
  filePath?: string | null;
  flags?: RunFlags;
  env?: Record<string, string | undefined>;
  /** Where the per-service configuration files go (.local/run). */
  runDir: string;
  /** Relative paths in the file are taken from here (the repository root). */
  baseDir: string;
  /** The host name, the default `name`. */
  host: string;
  /** Start time: where consumer groups with no commit start (`kafka.startFrom`), unless configured. */
  nowMs: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `b` over `a`, objects merged key by key. */
function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v;
  return out;
}

function at(obj: unknown, path: string[]): unknown {
  let v: unknown = obj;
  for (const k of path) v = isObject(v) ? v[k] : undefined;
  return v;
}

/** Reads an earshot.config.json: a JSON object. */
export function readRunConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RunConfigError(`cannot read the configuration file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RunConfigError(`${path} is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw new RunConfigError(`${path} is not a JSON object`);
  return value;
}

/**
 * The whole system from one configuration file, the environment and the command line, the
 * command line winning, then the environment, then the file. The file has the keys every service
 * shares at the top (kafka, registry, logLevel, heartbeatIntervalMs), the system's own
 * (interfaces, filter, stack, name, recordingsDir, postgres), and a section per service whose keys
 * are that service's file keys (docs/configuration.md). Each service is given its own file (the
 * shared keys, its section, and what `run` decides: one recordings folder, heartbeats every 2 s
 * for the live summary, new consumer groups starting now) through EARSHOT_CONFIG_FILE, so each
 * service still validates every key and the environment still overrides each setting.
 */
export function planRun(o: PlanRunOptions): RunPlan {
  const file = o.file ?? {};
  const env = o.env ?? process.env;
  const flags = o.flags ?? {};
  const where = o.filePath ?? 'the configuration file';
  for (const key of Object.keys(file)) {
    if (!(COMMON_KEYS as readonly string[]).includes(key) && !(RUN_KEYS as readonly string[]).includes(key) && !(RUN_SERVICES as readonly string[]).includes(key)) {
      throw new RunConfigError(`${key} (in ${where}) is not a key of earshot run's configuration: shared keys ${COMMON_KEYS.join(', ')}; system keys ${RUN_KEYS.join(', ')}; sections ${RUN_SERVICES.join(', ')}`);
    }
  }
  for (const s of RUN_SERVICES) if (s in file && !isObject(file[s])) throw new RunConfigError(`${s} (in ${where}) must be an object of that service's settings`);

  const fileInterfaces = file['interfaces'];
  if (fileInterfaces !== undefined && !(Array.isArray(fileInterfaces) && fileInterfaces.every((i) => typeof i === 'string' && i !== ''))) {
    throw new RunConfigError(`interfaces (in ${where}) must be a list of interface names, e.g. ["lo"]`);
  }
  const envInterfaces = env['EARSHOT_CAPTURE_INTERFACE'] ? env['EARSHOT_CAPTURE_INTERFACE'].split(',').map((i) => i.trim()).filter(Boolean) : undefined;
  const interfaces = [...new Set(flags.interfaces ?? envInterfaces ?? (fileInterfaces as string[] | undefined) ?? ['lo'])];
  if (interfaces.length === 0) throw new RunConfigError('no interface to capture: give --interface NAME');
  const stack = file['stack'] ?? 'local';
  if (stack !== 'local' && stack !== 'external') throw new RunConfigError(`stack (in ${where}) must be "local" or "external", found ${JSON.stringify(stack)}`);
  const str = (key: string): string | undefined => {
    const v = file[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new RunConfigError(`${key} (in ${where}) must be a string`);
    return (v ?? undefined) as string | undefined;
  };
  const filter = flags.filter ?? str('filter') ?? null;
  const name = flags.name ?? str('name') ?? o.host;
  const recordingsDir = resolve(o.baseDir, env['EARSHOT_RECORDINGS_DIR'] || str('recordingsDir') || '.local/recordings');

  const fromEnvOrFile = (envName: string, path: string[], fallback: string): string => {
    const e = env[envName];
    if (e !== undefined && e !== '') return e;
    const v = at(file, path);
    return v === undefined || v === null ? fallback : Array.isArray(v) ? v.join(',') : String(v);
  };
  const brokers = fromEnvOrFile('EARSHOT_KAFKA_BROKERS', ['kafka', 'brokers'], '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
  const registryUrl = fromEnvOrFile('EARSHOT_REGISTRY_URL', ['registry', 'url'], 'http://127.0.0.1:8081/apis/ccompat/v7');
  const groupPrefix = fromEnvOrFile('EARSHOT_KAFKA_GROUP_PREFIX', ['kafka', 'groupPrefix'], 'earshot');
  const statusHost = fromEnvOrFile('EARSHOT_STATUS_HOST', ['status', 'http', 'host'], '127.0.0.1');
  const statusPort = fromEnvOrFile('EARSHOT_STATUS_PORT', ['status', 'http', 'port'], '8080');
  const adminPassword = fromEnvOrFile('EARSHOT_ADMIN_PASSWORD', ['status', 'api', 'adminPassword'], 'earshot-admin');
  const shownHost = statusHost === '0.0.0.0' || statusHost === '::' ? '127.0.0.1' : statusHost.includes(':') ? `[${statusHost}]` : statusHost;

  const shared: Json = {};
  for (const k of COMMON_KEYS) if (k in file) shared[k] = file[k];
  // What run decides, unless the file says otherwise: heartbeats often enough for a live summary,
  // and consumer groups that never ran start now, not at the beginning of the shared topics.
  const runDefaults: Json = { heartbeatIntervalMs: 2000, kafka: { startFrom: String(o.nowMs) } };

  const children: RunChild[] = [];
  for (const app of RUN_SERVICES) {
    let content = deepMerge(runDefaults, shared);
    if (STORING.includes(app)) content['recordingsDir'] = recordingsDir;
    if (app === 'status' && isObject(file['postgres'])) content['postgres'] = file['postgres'];
    // A new system records every call until the directory has users; then their rules apply.
    if (app === 'call-control') content['recordWhileDirectoryEmpty'] = true;
    content = deepMerge(content, (file[app] as Json | undefined) ?? {});
    const perInterface = CAPTURING.includes(app) ? interfaces : [null];
    for (const iface of perInterface) {
      const childName = iface === null ? app : `${app}/${iface}`;
      const instanceId = iface === null ? `${app}@${name}` : `${app}@${name}/${iface}`;
      const childEnv: Record<string, string> = { EARSHOT_INSTANCE_ID: instanceId };
      const fileFilter = flags.filter === undefined && filter !== null && at(content, ['capture', 'filter']) === undefined ? { filter } : {};
      const fileContent = iface === null ? content : deepMerge(content, { capture: { interface: iface, ...fileFilter } });
      if (iface !== null) {
        // The command line wins over the environment: one process per interface, the filter given.
        childEnv['EARSHOT_CAPTURE_INTERFACE'] = iface;
        if (flags.filter !== undefined) childEnv[app === 'call-control' ? 'EARSHOT_SIP_FILTER' : 'EARSHOT_RTP_FILTER'] = flags.filter;
      }
      const configFile = join(o.runDir, `${childName.replace(/[^A-Za-z0-9._-]/g, '_')}.config.json`);
      childEnv['EARSHOT_CONFIG_FILE'] = configFile;
      children.push({ name: childName, app, instanceId, fileContent, configFile, env: childEnv });
    }
  }
  return {
    interfaces, filter, stack, name, recordingsDir, brokers, registryUrl, groupPrefix,
    statusUrl: `http://${shownHost}:${statusPort}/`, adminPassword, children,
    recordEveryone: /^(true|1|yes|on)$/i.test(fromEnvOrFile('EARSHOT_RECORD_EVERYONE', ['call-control', 'recordEveryone'], 'false')),
  };
}
