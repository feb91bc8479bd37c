import { provisionTopicsAndSchemas } from '@earshot/kafka';
import { runStack } from './stack-control';

const USAGE = `usage: earshot <command>

  up       start the local stack (Kafka, schema registry, PostgreSQL) if it is not running,
           create the topics, register the schemas, and show every part healthy
  status   show each part of the local stack
  down     stop what 'up' started
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'up': {
      if (runStack('up') !== 0) return 1;
      for (const line of await provisionTopicsAndSchemas()) console.log(line);
      return runStack('status');
    }
    case 'status':
      return runStack('status');
    case 'down':
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
    process.exit(1);
  },
);
