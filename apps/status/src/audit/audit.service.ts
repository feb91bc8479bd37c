import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TOPICS, validateEvent, type AuditAction, type AuditEntry } from '@earshot/events';
import { KafkaConnections } from '../kafka/kafka.module';
import type { Identity } from '../auth/auth.dto';

/** Injection token of the audit publisher. */
export const AUDIT = Symbol('AUDIT');

/**
 * Publishes who played, downloaded, monitored or edited what to qm.audit.v1 (keyed by who); the
 * projector stores the entries. Callers await it before answering, so an action is never done
 * without its entry.
 */
@Injectable()
export class AuditService {
  constructor(private readonly connections: KafkaConnections) {}

  async record(identity: Pick<Identity, 'name'>, action: AuditAction, callId: string | null, detail: string | null, remoteAddress: string | null): Promise<AuditEntry> {
    const entry = validateEvent<AuditEntry>('AuditEntry', {
      eventId: randomUUID().replace(/-/g, ''),
      userId: identity.name,
      action,
      callId,
      detail,
      atMs: Date.now(),
      remoteAddress,
    });
    await this.connections.producer.send(TOPICS.audit, [{ key: entry.userId, value: entry }]);
    return entry;
  }
}
