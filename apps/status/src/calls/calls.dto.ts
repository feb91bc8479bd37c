import type { CallDirection } from '@earshot/events';

/** GET /api/calls query, parsed. */
export interface CallSearchDto {
  from?: Date;
  to?: Date;
  /** A directory user id: calls recorded for them or where one of their extensions is a party. */
  user?: string;
  /** Equal to the caller's or callee's user part, or contained in their URI. */
  number?: string;
  direction?: CallDirection;
  minDurationMs?: number;
  maxDurationMs?: number;
  hasRecording?: boolean;
  /** 1..200, default 50. */
  limit: number;
  cursor?: CallCursor;
}

/** Where the next page starts: the last row's (started_at, call_id), keyset order. */
export interface CallCursor {
  startedAtUs: string;
  callId: string;
}

export interface CallPartyDto {
  uri: string;
  user: string | null;
  name: string | null;
  assertedIdentity: string | null;
}

/** One call of the list. Times are ISO 8601. */
export interface CallSummaryDto {
  callId: string;
  state: 'ringing' | 'answered' | 'ended' | 'failed';
  direction: string;
  source: string;
  caller: CallPartyDto;
  callee: CallPartyDto;
  recordedUserId: string | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** Talk time (answer to end); null until a call that was answered ends. */
  durationMs: number | null;
  endedBy: string | null;
  failureStatus: number | null;
  reason: string | null;
  codecs: string[];
  hasRecording: boolean;
  callControlInstance: string;
}

export interface CallPageDto {
  items: CallSummaryDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CallDetailCallDto extends CallSummaryDto {
  callerMedia: unknown[];
  calleeMedia: unknown[];
  lastSequence: number;
}

/** What arrived on a leg (null until the leg completes). */
export interface LegQualityDto {
  packets: number | null;
  expected: number | null;
  lost: number | null;
  /** lost / expected, in percent (two decimals); null without counts. */
  lossPercent: number | null;
  duplicated: number | null;
  outOfOrder: number | null;
  late: number | null;
  jitterMs: number | null;
  maxJitterMs: number | null;
}

export interface LegDto {
  legId: string;
  side: string;
  source: string;
  destination: string;
  ssrcs: number[];
  codecs: string[];
  state: 'recording' | 'completed';
  firstPacketAt: string;
  lastPacketAt: string;
  quality: LegQualityDto;
  dtmf: unknown[];
  recorderInstance: string;
}

export interface RecordingDto {
  state: 'completed' | 'converted' | 'failed';
  format: string | null;
  channels: number | null;
  sampleRate: number | null;
  durationMs: number | null;
  bytes: number | null;
  sha256: string | null;
  error: string | null;
  converterInstance: string | null;
  /** Where to fetch the WAV; null unless converted. */
  url: string | null;
}

export interface TimelineEventDto {
  eventId: string;
  topic: string;
  kind: string;
  captureTime: string;
  instanceId: string;
  detail: unknown;
}

/** GET /api/calls/:callId */
export interface CallDetailDto {
  call: CallDetailCallDto;
  legs: LegDto[];
  recording: RecordingDto | null;
  timeline: TimelineEventDto[];
}

/** GET /api/calls/:callId/waveform */
export interface WaveformDto {
  channels: number;
  sampleRate: number;
  durationMs: number;
  points: number;
  /** Peak |sample| (0..1) per slice and channel, interleaved by slice: [s0c0, s0c1, s1c0, ...]. */
  peaks: number[];
}
