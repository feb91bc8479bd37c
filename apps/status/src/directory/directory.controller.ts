import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { RecordingModeValues } from '@earshot/events';
import { notFound } from '../api/api-errors';
import { InputReader, pathParam, QueryReader } from '../api/input';
import { Access, CurrentIdentity } from '../auth/auth.decorators';
import type { Identity } from '../auth/auth.dto';
import { AuditService } from '../audit/audit.service';
import type { DirectoryUserDto, DirectoryUserInputDto, DirectoryUserListDto } from './directory.dto';
import { DirectoryService } from './directory.service';

export const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const USER_ID_HINT = '1 to 128 letters, digits, ., _, @, + or - (starting with a letter or digit)';
const FIELDS = ['userId', 'displayName', 'extensions', 'sipUris', 'devices', 'team', 'supervisorId', 'recording'] as const;

/** Validates a PUT body; every fault is reported with its path (`devices[1].ip`, `recording.percentage`). */
export function readDirectoryUser(userId: string, body: unknown): DirectoryUserInputDto {
  const input = new InputReader();
  const obj = input.object('(body)', body);
  input.onlyKnown(obj, FIELDS);
  if (obj.userId !== undefined && obj.userId !== userId) input.fail('userId', `must be the user id of the path (${userId}) or left out`);
  let recording: DirectoryUserInputDto['recording'] = { mode: 'NEVER', percentage: 0 };
  if (obj.recording === undefined) input.fail('recording', 'is required: {"mode": "ALWAYS" | "NEVER" | "PERCENTAGE", "percentage": 0..100}');
  else {
    const recObj = input.object('recording', obj.recording);
    const rec = input.nested('recording');
    rec.onlyKnown(recObj, ['mode', 'percentage']);
    const mode = rec.oneOf('mode', recObj.mode, RecordingModeValues);
    const percentage = recObj.percentage === undefined && mode !== 'PERCENTAGE' ? (mode === 'ALWAYS' ? 100 : 0) : rec.int('percentage', recObj.percentage, 0, 100);
    recording = { mode, percentage };
  }
  const dto: DirectoryUserInputDto = {
    displayName: input.string('displayName', obj.displayName, { max: 200 }),
    extensions: input.stringArray('extensions', obj.extensions, { max: 64, pattern: /^[^\s@]+$/, hint: 'an extension or number without spaces or @' }),
    sipUris: input.stringArray('sipUris', obj.sipUris, { max: 256, pattern: /^sips?:[^\s]+$/i, hint: 'a sip: or sips: URI' }),
    devices: input.array('devices', obj.devices, (path, v) => {
      const o = input.object(path, v);
      const d = input.nested(path);
      d.onlyKnown(o, ['ip', 'description']);
      return { ip: d.ip('ip', o.ip), description: d.optionalString('description', o.description, { max: 200 }) };
    }),
    team: input.optionalString('team', obj.team, { max: 100 }),
    supervisorId: input.optionalString('supervisorId', obj.supervisorId, { pattern: USER_ID, hint: USER_ID_HINT }),
    recording,
  };
  const ips = dto.devices.map((d) => d.ip);
  ips.forEach((ip, i) => { if (ips.indexOf(ip) !== i) input.fail(`devices[${i}].ip`, `repeats ${ip}`); });
  input.done();
  return dto;
}

/** The directory (the classic CrConfig's users): who is recorded, by extension, SIP URI and device. */
@Controller('api/directory/users')
@Access({ roles: ['admin'] })
export class DirectoryController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @Access({ roles: ['admin', 'supervisor'], scopes: ['read'] })
  async list(@Query() query: unknown): Promise<DirectoryUserListDto> {
    new QueryReader(query, []).done();
    return { items: await this.directory.list() };
  }

  @Get(':userId')
  @Access({ roles: ['admin', 'supervisor'], scopes: ['read'] })
  async get(@Param('userId') userId: string): Promise<DirectoryUserDto> {
    const user = await this.directory.get(pathParam('userId', userId, USER_ID, USER_ID_HINT));
    if (!user) throw notFound(`user ${userId}`);
    return user;
  }

  /** 202: published to qm.directory.v1; GET shows it once the projector has applied it. */
  @Put(':userId')
  @HttpCode(HttpStatus.ACCEPTED)
  async put(@CurrentIdentity() identity: Identity, @Param('userId') userId: string, @Body() body: unknown, @Req() req: Request): Promise<DirectoryUserDto> {
    pathParam('userId', userId, USER_ID, USER_ID_HINT);
    const input = readDirectoryUser(userId, body);
    const published = await this.directory.put(userId, input, identity.name);
    await this.audit.record(identity, 'DIRECTORY_EDIT', null, `put ${userId}`, req.ip ?? null);
    return published;
  }

  /** 202: a tombstone on qm.directory.v1. */
  @Delete(':userId')
  @HttpCode(HttpStatus.ACCEPTED)
  async remove(@CurrentIdentity() identity: Identity, @Param('userId') userId: string, @Req() req: Request): Promise<{ userId: string; deleted: true }> {
    pathParam('userId', userId, USER_ID, USER_ID_HINT);
    await this.directory.remove(userId);
    await this.audit.record(identity, 'DIRECTORY_EDIT', null, `delete ${userId}`, req.ip ?? null);
    return { userId, deleted: true };
  }
}
