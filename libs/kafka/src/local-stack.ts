/**
 * Where the local stack (infra/local) listens, from the same variables infra/local/env.sh reads:
 * EARSHOT_KAFKA_BROKERS or EARSHOT_KAFKA_PORT, EARSHOT_REGISTRY_URL or EARSHOT_REGISTRY_PORT.
 */
export function localStackEndpoints(env: Record<string, string | undefined> = process.env): { brokers: string[]; registryUrl: string } {
  return {
    brokers: (env['EARSHOT_KAFKA_BROKERS'] ?? `127.0.0.1:${env['EARSHOT_KAFKA_PORT'] ?? '9092'}`).split(','),
    registryUrl: env['EARSHOT_REGISTRY_URL'] ?? `http://127.0.0.1:${env['EARSHOT_REGISTRY_PORT'] ?? '8081'}/apis/ccompat/v7`,
  };
}
