/**
 * A consumer process for the crash test: reads qm.audit.v1 in group argv[2] and appends the
 * eventId of each handled entry whose id starts with argv[3] to the file argv[4], slowly, so the
 * test can SIGKILL it mid-stream and start it again. argv[5]: where each partition starts while the
 * group has no commit, as JSON [[partition, offset], ...].
 */
import { appendFileSync } from 'node:fs';
import { TOPICS } from '@earshot/events';
import { ConsumerRunner } from '../consumer-runner';
import { connectTestStack } from './test-stack';

async function main(): Promise<void> {
  const [groupId, prefix, outFile, startJson] = process.argv.slice(2);
  if (!groupId || !prefix || !outFile || !startJson) throw new Error('usage: counting-consumer GROUP PREFIX FILE INITIAL-OFFSETS-JSON');
  const initialOffsets = new Map([[TOPICS.audit as string, new Map(JSON.parse(startJson) as Array<[number, string]>)]]);
  const { kafka, codec } = await connectTestStack(`counting-consumer-${process.pid}`);
  const runner = new ConsumerRunner({
    kafka, codec, groupId, topics: [TOPICS.audit], sessionTimeoutMs: 6000, commitEveryMessages: 100, initialOffsets,
    handle: async (m) => {
      if (!m.value || !m.value.eventId.startsWith(prefix)) return;
      appendFileSync(outFile, `${m.value.eventId}\n`);
      await new Promise((r) => setTimeout(r, 1));
    },
  });
  process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
  await runner.start();
  process.stdout.write('started\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
  process.exit(1);
});
