import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import type { MediaDescription } from '@earshot/events';
import { BadInputError, conflict } from '../api/api-errors';
import { TABLES, type TableNames } from '../api/schema-names';
import { Access, CurrentIdentity } from '../auth/auth.decorators';
import type { Identity } from '../auth/auth.dto';
import { AuditService } from '../audit/audit.service';
import { CallsService } from '../calls/calls.service';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { PG_POOL } from '../database/database.module';
import { callMediaOf } from './live-call-audio';
import { LiveMonitor } from './live-monitor';
import { LiveRtpTap } from './live-rtp-tap';

const ENDED_STATES = ['ended', 'failed'];
/** How often a session looks at the call's row: its end, and new media after a re-INVITE. */
const CALL_POLL_MS = 1000;

/**
 * GET /api/calls/:callId/live: listen to a call in progress (admin, and supervisors for their
 * team's calls). The answer is an endless `audio/wav` (PCM16, 8 kHz, mono: both directions mixed)
 * written in real time from qm.rtp.v1, EARSHOT_LIVE_DELAY_MS behind the arrival of each RtpBatch; it ends a
 * moment after the call ends. The console reads it with fetch() and plays it through WebAudio
 * (see README.md beside this file); players such as ffplay or an <audio> element play it too.
 * Starting to listen publishes an AuditEntry MONITOR.
 */
@Controller('api/calls')
export class LiveController {
  private readonly log = new Logger('live');

  constructor(
    private readonly calls: CallsService,
    private readonly audit: AuditService,
    private readonly tap: LiveRtpTap,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(TABLES) private readonly t: TableNames,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {}

  @Get(':callId/live')
  @Access({ roles: ['admin', 'supervisor'] })
  async live(@CurrentIdentity() identity: Identity, @Param('callId') callId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (callId.length === 0 || callId.length > 512) throw new BadInputError([{ path: 'callId', message: 'must be 1 to 512 characters' }]);
    const call = await this.calls.visibleCall(identity, callId);
    if (ENDED_STATES.includes(call.state)) throw conflict(`call ${callId} has ${call.state === 'failed' ? 'failed' : 'ended'}: there is nothing to listen to live; play its recording`);
    await this.audit.record(identity, 'MONITOR', callId, 'live audio', req.ip ?? null);

    res.status(200);
    res.setHeader('Content-Type', 'audio/wav');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    const monitor = new LiveMonitor(res, {
      callId, delayMs: this.config.live.delayMs,
      media: callMediaOf(call.caller_media as MediaDescription[], call.callee_media as MediaDescription[]),
    });
    const unsubscribe = this.tap.subscribe(monitor);
    const poll = setInterval(() => void this.refresh(callId, monitor), CALL_POLL_MS);
    const started = Date.now();
    this.log.log(`${identity.name} listens to call ${callId}`);
    monitor.whenClosed((reason) => {
      clearInterval(poll);
      unsubscribe();
      this.log.log(`${identity.name} stopped listening to call ${callId} after ${Math.round((Date.now() - started) / 1000)} s (${reason}); ${JSON.stringify({ ...monitor.audio.counters.snapshot(), mixer: monitor.mixerStats })}`);
    });
    res.on('close', () => monitor.close('client-gone'));
    monitor.start();
  }

  private async refresh(callId: string, monitor: LiveMonitor): Promise<void> {
    try {
      const r = await this.pool.query<{ state: string; caller_media: MediaDescription[]; callee_media: MediaDescription[] }>(
        `select state, caller_media, callee_media from ${this.t.calls} where call_id = $1`, [callId]);
      const row = r.rows[0];
      if (!row) return;
      monitor.updateMedia(callMediaOf(row.caller_media, row.callee_media));
      if (ENDED_STATES.includes(row.state)) monitor.callEnded();
    } catch (e) {
      this.log.warn(`live: could not read call ${callId}: ${(e as Error).message}`);
    }
  }
}
