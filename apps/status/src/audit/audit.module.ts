import { Global, Module } from '@nestjs/common';
import { AUDIT, AuditService } from './audit.service';

/** The audit trail publisher, shared by every feature that plays, downloads or edits. */
@Global()
@Module({ providers: [AuditService, { provide: AUDIT, useExisting: AuditService }], exports: [AuditService, AUDIT] })
export class AuditModule {}
