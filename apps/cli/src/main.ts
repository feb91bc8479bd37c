import { provisionTopicsAndSchemas } from '@earshot/kafka';
import { startConsole, stopConsole } from './console-command';
import { formatManifestTable, recordCapture, RecordCommandError } from './record-command';
import { RunConfigError } from './run-config';
import { runDetached, RunCommandError, runSystem, stopRun } from './run-command';
import { formatRunState, readRunState, runningPid, runPaths } from './run-state';
import { runDemo } from './demo-command';
import { writeSampleCapture } from './sample-capture';
import { runStack } from './stack-control';

const USAGE = `usage: earshot <command>

  run [--interface NAME]... [--filter BPF] [--config FILE] [--name NAME] [--detach]
                           the whole system live: the local stack, call control and the RTP
                           collector capturing each interface (default lo; repeat the option or
                           give a comma list), recorder, converter and the console, each
                           restarted when it dies; prints the console's address, then a live
                           summary until Ctrl-C. --detach: leave it running in the background
                           (logs in .local/logs). --config: the configuration file (default
                           ./earshot.config.json when there is one). --filter: BPF filter of both
                           captures (it must let SIP and RTP through). --name: instance ids
                           <service>@NAME (default: the host name)
  demo [--concurrent N] [--minutes M]
                           a bounded demo load on the loopback interface with sipp: N concurrent
                           two-way calls (default 20) of about 9 s each for M minutes (default 2),
                           callers on 127.0.0.1, an answerer on 127.0.0.2 playing audio back;
                           run it beside 'earshot run' and watch the calls in the console
  record FILE [--out DIR]  record every call of a capture file (pcap/pcapng): DIR/<call id>.wav
                           and DIR/manifest.json (default DIR: ./recordings-out); starts the
                           local stack if it is not running
  sample [FILE]            write a sample capture of scripted calls (default: sample-calls.pcap)
  console [--recordings DIR]
                           start the status service (web console, REST API, projector) in the
                           background if it is not running; DIR: the recordings it plays
                           (default: recordings-out/recordings, where 'record' writes them)
  up                       start the local stack (Kafka, schema registry, PostgreSQL) if it is not
                           running, create the topics, register the schemas, show every part healthy
  status                   show each part of the local stack, and the services of 'run'
  down                     stop 'run' (every service), the console, and what 'up' started
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Every value of a repeatable option, comma lists split: `--interface lo --interface eth0,eth1`. */
function options(args: string[], name: string): string[] | undefined {
  const values = args.flatMap((a, i) => (a === name ? (args[i + 1] ?? '').split(',') : [])).map((v) => v.trim()).filter(Boolean);
  return values.length > 0 ? values : undefined;
}

const RUN_OPTIONS = new Set(['--interface', '--filter', '--config', '--name']);

/** The terminal's summary line: redrawn in place; other lines are printed above it. */
function terminalOutput(): { say: (line: string) => void; status: ((line: string) => void) | null } {
  if (!process.stdout.isTTY) return { say: (l) => console.log(l), status: null };
  let shown = false;
  return {
    say: (l) => {
      process.stdout.write(`${shown ? '\r\x1b[2K' : ''}${l}\n`);
      shown = false;
    },
    status: (l) => {
      process.stdout.write(`\r\x1b[2K${l.slice(0, (process.stdout.columns || 160) - 1)}`);
      shown = true;
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'run': {
      const unknown = args.filter((a, i) => a.startsWith('--') && !RUN_OPTIONS.has(a) && a !== '--detach' && !RUN_OPTIONS.has(args[i - 1] ?? ''));
      if (unknown.length > 0) {
        process.stderr.write(`earshot run: unknown option ${unknown.join(' ')}\n\n${USAGE}`);
        return 2;
      }
      if (args.includes('--detach')) return runDetached(args, (l) => console.log(l));
      const out = terminalOutput();
      return runSystem({
        flags: { interfaces: options(args, '--interface'), filter: option(args, '--filter'), name: option(args, '--name') },
        configPath: option(args, '--config'), say: out.say, status: out.status,
      });
    }
    case 'demo': {
      const concurrent = Number(option(args, '--concurrent') ?? 20);
      const minutes = Number(option(args, '--minutes') ?? 2);
      if (!(concurrent >= 1 && concurrent <= 1000) || !(minutes > 0 && minutes <= 60)) {
        process.stderr.write(`earshot demo: --concurrent 1..1000 and --minutes up to 60\n\n${USAGE}`);
        return 2;
      }
      return runDemo({ concurrent, minutes, say: (l) => console.log(l) });
    }
    case 'record': {
      const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--out');
      if (!file) {
        process.stderr.write(`earshot record: which capture file?\n\n${USAGE}`);
        return 2;
      }
      const live = runningPid(runPaths());
      if (live !== null && !args.includes('--beside-live')) {
        // A capture file's end is announced to every recorder on the topics as "capture over"
        // (an end-of-capture watermark), which closes the live recorder's calls in progress.
        process.stderr.write(`earshot record: earshot run is recording live here (pid ${live}); recording a file now would end the calls the live recorder has in progress (the file's end-of-capture watermark reaches every recorder). Stop it first ('earshot down'), or pass --beside-live to do it anyway.\n`);
        return 2;
      }
      const outDir = option(args, '--out') ?? 'recordings-out';
      const manifest = await recordCapture({ file, outDir, say: (l) => console.log(l) });
      console.log(`\n${formatManifestTable(manifest)}\n\nwrote ${manifest.calls.filter((c) => c.wav).length} WAV file(s) and manifest.json to ${outDir}`);
      return 0;
    }
    case 'sample': {
      const file = args[0] ?? 'sample-calls.pcap';
      const calls = writeSampleCapture(file);
      console.log(`wrote ${file}: ${calls} scripted calls`);
      return 0;
    }
    case 'console': {
      const url = await startConsole({ recordingsDir: option(args, '--recordings') ?? 'recordings-out/recordings' });
      const password = process.env['EARSHOT_ADMIN_PASSWORD'] ?? 'earshot-admin';
      console.log(`console: ${url}  (log in as admin / ${password}; log: .local/status.log)`);
      return 0;
    }
    case 'up': {
      if (runStack('up') !== 0) return 1;
      for (const line of await provisionTopicsAndSchemas()) console.log(line);
      return runStack('status');
    }
    case 'status': {
      const code = runStack('status');
      const paths = runPaths();
      const state = runningPid(paths) === null ? null : readRunState(paths);
      console.log(state ? `\n${formatRunState(state)}` : "\nearshot run: not running ('earshot run' starts it)");
      return code;
    }
    case 'down':
      if (await stopRun((l) => console.log(l))) console.log('earshot run: stopped');
      if (await stopConsole()) console.log('console: stopped');
      return runStack('down');
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`earshot: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`earshot: ${(error as Error).message}\n`);
    process.exit(error instanceof RecordCommandError ? error.exitCode : error instanceof RunCommandError || error instanceof RunConfigError ? 2 : 1);
  },
);
