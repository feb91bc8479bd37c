import { provisionTopicsAndSchemas } from '@earshot/kafka';
import { startConsole, stopConsole } from './console-command';
import { formatManifestTable, recordCapture, RecordCommandError } from './record-command';
import { writeSampleCapture } from './sample-capture';
import { runStack } from './stack-control';

const USAGE = `usage: earshot <command>

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
  status                   show each part of the local stack
  down                     stop the console and what 'up' started
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'record': {
      const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--out');
      if (!file) {
        process.stderr.write(`earshot record: which capture file?\n\n${USAGE}`);
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
    case 'status':
      return runStack('status');
    case 'down':
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
    process.exit(error instanceof RecordCommandError ? error.exitCode : 1);
  },
);
