import { Global, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { ReasonCounters } from '@earshot/errors';
import { createKafkaClient, EventCodec, EventProducer, type KafkaClient } from '@earshot/kafka';
import { EARSHOT_VERSION, HeartbeatPublisher } from '@earshot/service';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';

/** Injection token of the status service's Kafka connections. */
export const KAFKA_CONNECTIONS = Symbol('KAFKA_CONNECTIONS');

/** The Kafka client, registry codec and producer, opened on start and closed on shutdown. */
@Injectable()
export class KafkaConnections implements OnModuleInit, OnApplicationShutdown {
  readonly kafka: KafkaClient;
  readonly codec: EventCodec;
  readonly producer: EventProducer;
  readonly counters = new ReasonCounters();
  readonly instanceId: string;
  private readonly heartbeats: HeartbeatPublisher;

  constructor(@Inject(STATUS_CONFIG) config: StatusConfig) {
    this.instanceId = config.instanceId ?? `status@${hostname()}:${process.pid}`;
    this.kafka = createKafkaClient({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-status` });
    this.codec = new EventCodec({ registryUrl: config.registry.url, retry: { attempts: 10, initialDelayMs: 200 } });
    this.producer = new EventProducer({ kafka: this.kafka, codec: this.codec });
    this.heartbeats = new HeartbeatPublisher({
      producer: this.producer, instanceId: this.instanceId, serviceKind: 'status', version: EARSHOT_VERSION,
      intervalMs: config.heartbeatIntervalMs, counters: this.counters,
    });
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
    await this.codec.registerTopics();
    await this.heartbeats.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.heartbeats.stop();
    await this.producer.disconnect();
  }
}

@Global()
@Module({
  providers: [KafkaConnections, { provide: KAFKA_CONNECTIONS, useExisting: KafkaConnections }],
  exports: [KafkaConnections, KAFKA_CONNECTIONS],
})
export class KafkaModule {}
