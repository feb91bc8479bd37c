import { Controller, Get, HttpStatus, Inject, Logger, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CallDirectionValues, type CallDirection } from '@earshot/events';
import { STATUS_CONFIG, type StatusConfig } from '../config/status-config.module';
import { ApiError, BadInputError, notFound } from '../api/api-errors';
import { QueryReader } from '../api/input';
import { Access, CurrentIdentity } from '../auth/auth.decorators';
import type { Identity } from '../auth/auth.dto';
import { AuditService } from '../audit/audit.service';
import { parseByteRange } from './byte-range';
import type { CallDetailDto, CallPageDto, CallSearchDto, WaveformDto } from './calls.dto';
import { CallsService, decodeCursor } from './calls.service';
import { RecordingPathError, resolveExistingRecording } from '@earshot/recordings';
import { readWavLayout, WavFormatError, wavPeaks } from './wav-file';

const SEARCH_PARAMS = ['from', 'to', 'user', 'number', 'direction', 'minDurationMs', 'maxDurationMs', 'hasRecording', 'limit', 'cursor'] as const;
const MAX_MS = 10 * 365 * 86_400_000;

function readSearch(query: unknown): CallSearchDto {
  const q = new QueryReader(query, SEARCH_PARAMS);
  const dto: CallSearchDto = {
    from: q.timeParam('from'),
    to: q.timeParam('to'),
    user: q.text('user'),
    number: q.text('number'),
    direction: q.oneOfParam<CallDirection>('direction', CallDirectionValues),
    minDurationMs: q.intParam('minDurationMs', 0, MAX_MS),
    maxDurationMs: q.intParam('maxDurationMs', 0, MAX_MS),
    hasRecording: q.boolParam('hasRecording'),
    limit: q.intParam('limit', 1, 200) ?? 50,
  };
  const cursor = q.text('cursor');
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor);
    if (decoded) dto.cursor = decoded;
    else q.fail('cursor', 'is not a cursor this API gave out (pass nextCursor as it came)');
  }
  if (dto.from && dto.to && dto.from > dto.to) q.fail('to', 'must not be before from');
  if (dto.minDurationMs !== undefined && dto.maxDurationMs !== undefined && dto.minDurationMs > dto.maxDurationMs) q.fail('maxDurationMs', 'must not be less than minDurationMs');
  q.done();
  return dto;
}

function checkCallId(callId: string): string {
  if (callId.length === 0 || callId.length > 512) throw new BadInputError([{ path: 'callId', message: 'must be 1 to 512 characters' }]);
  return callId;
}

/** Calls seen by call control, their legs, timeline, recording and waveform; each within the caller's role. */
@Controller('api/calls')
@Access({ roles: ['admin', 'supervisor', 'agent'], scopes: ['read'] })
export class CallsController {
  private readonly log = new Logger('calls');

  constructor(
    private readonly calls: CallsService,
    private readonly audit: AuditService,
    @Inject(STATUS_CONFIG) private readonly config: StatusConfig,
  ) {}

  @Get()
  search(@CurrentIdentity() identity: Identity, @Query() query: unknown): Promise<CallPageDto> {
    return this.calls.search(identity, readSearch(query));
  }

  @Get(':callId')
  detail(@CurrentIdentity() identity: Identity, @Param('callId') callId: string): Promise<CallDetailDto> {
    return this.calls.detail(identity, checkCallId(callId));
  }

  /** The file of a converted recording, after the role check; the path comes from the projection and must stay under the recordings root. */
  private async recordingFile(identity: Identity, callId: string): Promise<{ path: string; size: number }> {
    await this.calls.visibleCall(identity, checkCallId(callId));
    const recording = await this.calls.recording(callId);
    if (!recording || recording.state !== 'converted' || !recording.path) throw notFound(`recording of call ${callId}`);
    try {
      return await resolveExistingRecording(this.config.recordingsDir, recording.path);
    } catch (error) {
      if (!(error instanceof RecordingPathError)) throw error;
      this.log.warn(`recording of ${callId} not served: ${error.message} (${recording.path})`);
      throw notFound(`recording of call ${callId} (${error.message})`);
    }
  }

  /**
   * The WAV: one byte range (206) or all of it (200), inline for the player or as an attachment
   * with ?download=1. Each request is audited (PLAY or DOWNLOAD) before a byte leaves.
   */
  @Get(':callId/recording')
  async recording(@CurrentIdentity() identity: Identity, @Param('callId') callId: string, @Query() query: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const q = new QueryReader(query, ['download']);
    const download = q.boolParam('download') ?? false;
    q.done();
    const file = await this.recordingFile(identity, callId);
    const range = parseByteRange(req.headers.range, file.size);
    res.setHeader('Accept-Ranges', 'bytes');
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${file.size}`);
      throw new ApiError(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, `range ${req.headers.range ?? ''} is beyond the ${file.size}-byte recording`, [{ path: 'Range', message: `must start before byte ${file.size}` }]);
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.size - 1];
    await this.audit.record(identity, download ? 'DOWNLOAD' : 'PLAY', callId, `bytes=${start}-${end}/${file.size}`, req.ip ?? null);
    res.status(range.kind === 'partial' ? HttpStatus.PARTIAL_CONTENT : HttpStatus.OK);
    res.setHeader('Content-Type', 'audio/wav');
    res.setHeader('Content-Length', String(end - start + 1));
    res.setHeader('Cache-Control', 'private, no-store');
    if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
    const name = `${callId.replace(/[^A-Za-z0-9._-]/g, '_')}.wav`;
    res.setHeader('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename="${name}"`);
    if (req.method === 'HEAD' || file.size === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(file.path, { start, end }), res).catch((e: unknown) => {
      // A player that stops reading (seek, close) aborts the response: not an error worth more than a line.
      this.log.debug(`recording of ${callId} not sent to the end: ${(e as Error).message}`);
    });
  }

  @Get(':callId/waveform')
  async waveform(@CurrentIdentity() identity: Identity, @Param('callId') callId: string, @Query() query: unknown): Promise<WaveformDto> {
    const q = new QueryReader(query, ['points']);
    const points = q.intParam('points', 1, 20_000) ?? 800;
    q.done();
    const file = await this.recordingFile(identity, callId);
    try {
      const layout = await readWavLayout(file.path);
      const { points: n, peaks } = await wavPeaks(file.path, layout, points);
      const frames = layout.dataBytes / layout.blockAlign;
      return { channels: layout.channels, sampleRate: layout.sampleRate, durationMs: Math.round((frames * 1000) / layout.sampleRate), points: n, peaks };
    } catch (error) {
      if (error instanceof WavFormatError) throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `the recording cannot be read: ${error.message}`);
      throw error;
    }
  }
}
