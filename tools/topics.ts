/**
 * `npm run topics`: creates or updates every topic of infra/topics.json (and its .dlq) and
 * registers every value schema with BACKWARD compatibility, on the local stack or wherever
 * EARSHOT_KAFKA_BROKERS and EARSHOT_REGISTRY_URL point.
 */
import { provisionTopicsAndSchemas } from '@earshot/kafka';

provisionTopicsAndSchemas().then(
  (lines) => lines.forEach((l) => console.log(l)),
  (e: unknown) => {
    console.error(`topics: ${(e as Error).message}`);
    process.exit(1);
  },
);
