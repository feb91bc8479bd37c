#!/usr/bin/env node
// Kafka health check used by infra/local/stack: a real metadata request (kafkajs admin.describeCluster)
// against the broker, the same client library the apps use.
//   node infra/local/lib/kafka-health.mjs --broker 127.0.0.1:9092 [--wait SECONDS] [--pid N]
// Exit 0: healthy (prints cluster id and brokers). Exit 1: not healthy within --wait (prints the last
// error). Exit 2: the process --pid exited while we waited. Exit 3: kafkajs is not installed.
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const broker = opt('broker', '127.0.0.1:9092');
const waitSeconds = Number(opt('wait', '0'));
const pid = Number(opt('pid', '0'));

let kafkajs;
try {
  kafkajs = createRequire(import.meta.url)('kafkajs');
} catch {
  console.error('kafkajs is not installed: run `npm install` at the repository root');
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs;

const alive = (p) => {
  try { process.kill(p, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};

/** One metadata round trip; resolves to a one-line description or throws. */
async function probe() {
  const kafka = new Kafka({
    clientId: 'earshot-stack-health',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers, clusterId } = await admin.describeCluster();
    if (brokers.length === 0) throw new Error('metadata lists no brokers');
    return `cluster ${clusterId}, brokers ${brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(',')}`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const deadline = Date.now() + waitSeconds * 1000;
let lastError = 'no attempt made';
for (;;) {
  try {
    console.log(await probe());
    process.exit(0);
  } catch (e) {
    lastError = e instanceof Error ? e.message : String(e);
  }
  if (pid > 0 && !alive(pid)) {
    console.error(`process ${pid} exited; last error: ${lastError}`);
    process.exit(2);
  }
  if (Date.now() >= deadline) break;
  await new Promise((r) => setTimeout(r, 500));
}
console.error(`kafka at ${broker} not healthy: ${lastError}`);
process.exit(1);
