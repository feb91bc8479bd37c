import { Kafka, logLevel, type LogEntry, type RetryOptions as KafkaRetryOptions } from 'kafkajs';

/** How an app hears what kafkajs has to say; library code never logs by itself. */
export type KafkaLogSink = (entry: { level: 'error' | 'warn' | 'info' | 'debug'; namespace: string; message: string; extra: Record<string, unknown> }) => void;

export interface KafkaClientOptions {
  /** Bootstrap brokers, host:port. */
  brokers: string[];
  /** Client id, shown in broker logs. */
  clientId: string;
  /** Where kafkajs log lines go. Default: nowhere. */
  log?: KafkaLogSink;
  /** kafkajs's own retry settings for requests. Default: 5 retries from 100 ms. */
  retry?: KafkaRetryOptions;
  /** Connection timeout in ms. Default 3000. */
  connectionTimeoutMs?: number;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose logs go to the app's sink (or nowhere). */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const sink = options.log;
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    retry: options.retry ?? { initialRetryTime: 100, retries: 5 },
    logLevel: sink ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!sink) return;
      const { message, ...extra } = entry.log;
      sink({ level: LEVELS[entry.level] ?? 'info', namespace: entry.namespace, message: String(message), extra });
    },
  });
}
