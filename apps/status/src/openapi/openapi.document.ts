import { CallDirectionValues, OutputChannelsValues, RecordingModeValues } from '@earshot/events';
import { ROLES, TOKEN_SCOPES } from '../auth/auth.dto';
import { SERVICE_KINDS } from '../service-config/service-config.dto';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const nstr: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const nint: Schema = { type: ['integer', 'null'] };
const num: Schema = { type: ['number', 'null'] };
const time: Schema = { type: 'string', format: 'date-time' };
const ntime: Schema = { type: ['string', 'null'], format: 'date-time' };
const bool: Schema = { type: 'boolean' };
const strs: Schema = { type: 'array', items: str };
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const list = (item: string): Schema => obj({ items: { type: 'array', items: ref(item) } });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const q = (name: string, schema: Schema, description: string) => ({ name, in: 'query', required: false, schema, description });
const p = (name: string, description: string) => ({ name, in: 'path', required: true, schema: str, description });

const E400 = { 400: error('Bad input: `fields` names each parameter or body field at fault.') };
const E401 = { 401: error('No valid identity (session cookie or Bearer token).') };
const E403 = { 403: error('The role or token scope does not allow it.') };
const E404 = { 404: error('Not found.') };
const AUTHED = { ...E400, ...E401, ...E403 };

function op(summary: string, who: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { summary, description: `Who: ${who}.`, responses, ...extra };
}

/**
 * The OpenAPI 3.1 document of the REST API (docs/status-api.md), written by hand beside the
 * controllers; a unit test checks that it names exactly the routes the controllers declare.
 */
export function openApiDocument(): Record<string, unknown> {
  const callId = p('callId', 'The call id (SIP Call-ID or the PBX agent id), URL-encoded.');
  const userId = p('userId', 'The directory user id.');
  const kind = { ...p('serviceKind', 'The service kind.'), schema: { type: 'string', enum: SERVICE_KINDS } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Earshot status API', version: '1',
      description: 'Calls, recordings, directory and configuration of Earshot. Every route but /api/health and /api/auth/login needs the '
        + '`earshot_session` cookie or `Authorization: Bearer <token>` (session or API token). Roles: admin (all), supervisor (calls of the users '
        + 'of their team), agent (calls of their own directory user: recorded for them or one of their extensions is a party). API tokens '
        + 'with scope `read` may read what an admin may, except accounts; `agent-ingest` tokens are for the call-control agent only. '
        + 'Errors: `{error, fields: [{path, message}]}`.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'earshot_session' },
        bearer: { type: 'http', scheme: 'bearer', description: 'A session token (from login) or an API token.' },
      },
      schemas: {
        Error: obj({ error: str, fields: { type: 'array', items: obj({ path: str, message: str }) } }),
        Login: obj({ username: str, password: str }),
        LoginResult: obj({ token: str, username: str, role: { type: 'string', enum: ROLES }, expiresAt: time }),
        Me: obj({ username: str, role: { type: ['string', 'null'], enum: [...ROLES, null] }, scope: { type: ['string', 'null'], enum: [...TOKEN_SCOPES, null] }, userId: nstr, team: nstr }),
        CallParty: obj({ uri: str, user: nstr, name: nstr, assertedIdentity: nstr }),
        CallSummary: obj({
          callId: str, state: { type: 'string', enum: ['ringing', 'answered', 'ended', 'failed'] }, direction: { type: 'string', enum: CallDirectionValues },
          source: { type: 'string', enum: ['SNIFF', 'AGENT'] }, caller: ref('CallParty'), callee: ref('CallParty'), recordedUserId: nstr,
          startedAt: time, answeredAt: ntime, endedAt: ntime, durationMs: { ...nint, description: 'Talk time (answer to end).' }, endedBy: nstr,
          failureStatus: nint, reason: nstr, codecs: strs, hasRecording: bool, callControlInstance: str,
        }),
        CallPage: obj({ items: { type: 'array', items: ref('CallSummary') }, nextCursor: { ...nstr, description: 'Pass as cursor for the next page; null on the last.' } }),
        CallDetailCall: { allOf: [ref('CallSummary'), obj({ callerMedia: { type: 'array', items: { type: 'object' } }, calleeMedia: { type: 'array', items: { type: 'object' } }, lastSequence: int })] },
        LegQuality: obj({ packets: nint, expected: nint, lost: nint, lossPercent: num, duplicated: nint, outOfOrder: nint, late: nint, jitterMs: num, maxJitterMs: num }),
        Leg: obj({
          legId: str, side: str, source: str, destination: str, ssrcs: { type: 'array', items: int }, codecs: strs,
          state: { type: 'string', enum: ['recording', 'completed'] }, firstPacketAt: time, lastPacketAt: time, quality: ref('LegQuality'),
          dtmf: { type: 'array', items: obj({ digit: str, captureTimeUs: int, durationMs: int }) }, recorderInstance: str,
        }),
        Recording: obj({
          state: { type: 'string', enum: ['completed', 'converted', 'failed'] }, format: nstr, channels: nint, sampleRate: nint, durationMs: nint,
          bytes: nint, sha256: nstr, error: nstr, converterInstance: nstr, url: nstr,
        }),
        TimelineEvent: obj({ eventId: str, topic: str, kind: str, captureTime: time, instanceId: str, detail: { type: 'object' } }),
        CallDetail: obj({ call: ref('CallDetailCall'), legs: { type: 'array', items: ref('Leg') }, recording: { oneOf: [ref('Recording'), { type: 'null' }] }, timeline: { type: 'array', items: ref('TimelineEvent') } }),
        Waveform: obj({
          channels: int, sampleRate: int, durationMs: int, points: int,
          peaks: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 }, description: 'Peak |sample| per slice and channel, interleaved by slice: [s0c0, s0c1, s1c0, ...].' },
        }),
        Device: obj({ ip: str, description: nstr }),
        RecordingRule: obj({ mode: { type: 'string', enum: RecordingModeValues }, percentage: { type: 'integer', minimum: 0, maximum: 100, description: 'Default 100 for ALWAYS, 0 for NEVER; required for PERCENTAGE.' } }, ['mode']),
        DirectoryUserInput: obj({
          displayName: str, extensions: strs, sipUris: strs, devices: { type: 'array', items: ref('Device') }, team: nstr, supervisorId: nstr, recording: ref('RecordingRule'),
        }, ['displayName', 'recording']),
        DirectoryUser: { allOf: [ref('DirectoryUserInput'), obj({ userId: str, updatedAt: time, updatedBy: str })] },
        DirectoryUserList: list('DirectoryUser'),
        ServiceConfigInput: obj({
          recordEveryone: { type: ['boolean', 'null'] }, localDomains: strs, localNumberPatterns: strs, captureInterface: nstr, captureFilter: nstr,
          batchMaxPackets: { type: ['integer', 'null'], minimum: 1, maximum: 100000 }, batchWindowMs: { type: ['integer', 'null'], minimum: 1, maximum: 60000 },
          recordedCodecs: strs, outputChannels: { type: ['string', 'null'], enum: [...OutputChannelsValues, null] }, settings: { type: 'object', additionalProperties: str },
        }, []),
        ServiceConfig: { allOf: [ref('ServiceConfigInput'), obj({ serviceKind: str, revision: int, updatedAt: time, updatedBy: str })] },
        ServiceConfigList: list('ServiceConfig'),
        ServiceInstance: obj({
          instanceId: str, serviceKind: str, host: str, pid: int, version: str, state: str, startedAt: time, lastHeartbeatAt: time, lag: int,
          counters: { type: 'object', additionalProperties: { type: 'number' } }, assignments: strs,
          healthy: { type: 'boolean', description: 'RUNNING and a heartbeat within three intervals.' },
        }),
        ServiceInstanceList: obj({ heartbeatIntervalMs: int, items: { type: 'array', items: ref('ServiceInstance') } }),
        NewAccount: obj({ username: str, password: { type: 'string', minLength: 8 }, role: { type: 'string', enum: ROLES }, userId: nstr }, ['username', 'password', 'role']),
        Account: obj({ username: str, role: { type: 'string', enum: ROLES }, userId: nstr, createdAt: time }),
        AccountList: list('Account'),
        NewToken: obj({ name: str, scope: { type: 'string', enum: TOKEN_SCOPES } }),
        CreatedToken: obj({ name: str, scope: { type: 'string', enum: TOKEN_SCOPES }, token: { type: 'string', description: 'Shown once; only its SHA-256 is kept.' }, createdAt: time }),
        Health: { type: 'object', description: 'status ok|degraded, instanceId, and kafka/registry/postgres {healthy, detail, latencyMs}.' },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
    paths: {
      '/api/health': { get: op('Kafka, registry and PostgreSQL reachability', 'anyone', { 200: json(ref('Health'), 'All answer.'), 503: json(ref('Health'), 'Something does not answer.') }, { security: [] }) },
      '/api/openapi.json': { get: op('This document', 'any identity', { 200: json({ type: 'object' }, 'The OpenAPI document.'), ...E401 }) },
      '/api/auth/login': {
        post: op('Sign in: a session token and the HttpOnly earshot_session cookie', 'anyone',
          { 200: json(ref('LoginResult'), 'Signed in; Set-Cookie earshot_session.'), ...E400, 401: error('Wrong username or password.') },
          { security: [], requestBody: { required: true, content: { 'application/json': { schema: ref('Login') } } } }),
      },
      '/api/auth/logout': { post: op('End the session of the presented token and clear the cookie', 'any identity', { 204: { description: 'Ended.' }, ...E401 }) },
      '/api/auth/me': { get: op('Who is signed in', 'any identity', { 200: json(ref('Me'), 'The identity.'), ...E401 }) },
      '/api/calls': {
        get: op('Search calls, newest first (keyset on started_at desc, call id desc)', 'admin, supervisor (their team), agent (their own), read token',
          { 200: json(ref('CallPage'), 'A page of calls.'), ...AUTHED }, {
            parameters: [
              q('from', { type: 'string' }, 'Started at or after: ISO 8601 or ms since the epoch.'), q('to', { type: 'string' }, 'Started before: ISO 8601 or ms since the epoch.'),
              q('user', str, 'Directory user id: calls recorded for them or with one of their extensions as a party.'),
              q('number', str, 'Equal to the caller\'s or callee\'s user part, or contained in their URI.'),
              q('direction', { type: 'string', enum: CallDirectionValues }, 'Call direction (case-insensitive).'),
              q('minDurationMs', { type: 'integer', minimum: 0 }, 'Talk time at least.'), q('maxDurationMs', { type: 'integer', minimum: 0 }, 'Talk time at most.'),
              q('hasRecording', { type: 'boolean' }, 'true or false.'), q('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'Page size.'),
              q('cursor', str, 'nextCursor of the previous page.'),
            ],
          }),
      },
      '/api/calls/{callId}': { get: op('A call with its legs (quality figures), recording and event timeline', 'by role, as search', { 200: json(ref('CallDetail'), 'The call.'), ...AUTHED, ...E404 }, { parameters: [callId] }) },
      '/api/calls/{callId}/recording': {
        get: op('The WAV; one byte range with Range. Audited (PLAY, or DOWNLOAD with download=1) on qm.audit.v1', 'by role, as search', {
          200: { description: 'The whole file (Accept-Ranges: bytes, Content-Length).', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
          206: { description: 'The range asked (Content-Range: bytes start-end/size).', content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } } },
          416: error('The range starts beyond the end (Content-Range: bytes */size).'), ...AUTHED, ...E404,
        }, { parameters: [callId, q('download', { type: 'boolean' }, 'true/1: Content-Disposition attachment.'),
          { name: 'Range', in: 'header', required: false, schema: str, description: 'bytes=start-end, bytes=start- or bytes=-suffix; several ranges are answered with the whole file.' }] }),
      },
      '/api/calls/{callId}/waveform': {
        get: op('Peaks of the WAV for drawing it', 'by role, as search', { 200: json(ref('Waveform'), 'The peaks.'), ...AUTHED, ...E404, 422: error('The WAV is not 8/16-bit PCM.') },
          { parameters: [callId, q('points', { type: 'integer', minimum: 1, maximum: 20000, default: 800 }, 'Slices (fewer when the audio has fewer frames).')] }),
      },
      '/api/directory/users': { get: op('Every directory user (the projection of qm.directory.v1)', 'admin, supervisor, read token', { 200: json(ref('DirectoryUserList'), 'The users.'), ...AUTHED }) },
      '/api/directory/users/{userId}': {
        get: op('One directory user', 'admin, supervisor, read token', { 200: json(ref('DirectoryUser'), 'The user.'), ...AUTHED, ...E404 }, { parameters: [userId] }),
        put: op('Publish the user to qm.directory.v1 (call control applies it while running); audited DIRECTORY_EDIT', 'admin',
          { 202: json(ref('DirectoryUser'), 'Published; GET shows it once projected.'), ...AUTHED },
          { parameters: [userId], requestBody: { required: true, content: { 'application/json': { schema: ref('DirectoryUserInput') } } } }),
        delete: op('Publish a tombstone for the user to qm.directory.v1; audited DIRECTORY_EDIT', 'admin',
          { 202: json(obj({ userId: str, deleted: { type: 'boolean', const: true } }), 'Published.'), ...AUTHED }, { parameters: [userId] }),
      },
      '/api/config': { get: op('Every service kind\'s configuration (the projection of qm.config.v1)', 'admin', { 200: json(ref('ServiceConfigList'), 'The configurations.'), ...AUTHED }) },
      '/api/config/{serviceKind}': {
        get: op('One kind\'s configuration', 'admin', { 200: json(ref('ServiceConfig'), 'The configuration.'), ...AUTHED, ...E404 }, { parameters: [kind] }),
        put: op('Publish the kind\'s configuration to qm.config.v1 with the next revision; audited CONFIG_EDIT', 'admin',
          { 202: json(ref('ServiceConfig'), 'Published; GET shows it once projected.'), ...AUTHED },
          { parameters: [kind], requestBody: { required: true, content: { 'application/json': { schema: ref('ServiceConfigInput') } } } }),
      },
      '/api/services': { get: op('Every service instance from its heartbeats, with healthy', 'admin, supervisor, read token', { 200: json(ref('ServiceInstanceList'), 'The instances.'), ...AUTHED }) },
      '/api/accounts': {
        get: op('Console accounts', 'admin', { 200: json(ref('AccountList'), 'The accounts.'), ...AUTHED }),
        post: op('Create a console account', 'admin', { 201: json(ref('Account'), 'Created.'), ...AUTHED, 409: error('The username is taken.') },
          { requestBody: { required: true, content: { 'application/json': { schema: ref('NewAccount') } } } }),
      },
      '/api/tokens': {
        post: op('Create an API token (agent-ingest for the PBX agent, read for reporting)', 'admin', { 201: json(ref('CreatedToken'), 'Created; the token is shown once.'), ...AUTHED, 409: error('The name is taken.') },
          { requestBody: { required: true, content: { 'application/json': { schema: ref('NewToken') } } } }),
      },
    },
  };
}
