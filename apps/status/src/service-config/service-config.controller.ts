import { Body, Controller, Get, HttpCode, HttpStatus, Param, Put, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { OutputChannelsValues } from '@earshot/events';
import { BadInputError, notFound } from '../api/api-errors';
import { InputReader, QueryReader } from '../api/input';
import { Access, CurrentIdentity } from '../auth/auth.decorators';
import type { Identity } from '../auth/auth.dto';
import { AuditService } from '../audit/audit.service';
import { SERVICE_KINDS, type ServiceConfigDto, type ServiceConfigInputDto, type ServiceConfigListDto } from './service-config.dto';
import { ServiceConfigService } from './service-config.service';

const FIELDS = ['serviceKind', 'revision', 'updatedAt', 'updatedBy', 'recordEveryone', 'localDomains', 'localNumberPatterns', 'captureInterface',
  'captureFilter', 'batchMaxPackets', 'batchWindowMs', 'recordedCodecs', 'outputChannels', 'settings'] as const;

function kindParam(kind: string): string {
  if (!(SERVICE_KINDS as readonly string[]).includes(kind)) {
    throw new BadInputError([{ path: 'serviceKind', message: `must be one of ${SERVICE_KINDS.join(', ')}, got "${kind}"` }]);
  }
  return kind;
}

/** Validates a PUT body with field paths; serviceKind, revision, updatedAt and updatedBy may come back from a GET and are ignored. */
export function readServiceConfig(kind: string, body: unknown): ServiceConfigInputDto {
  const input = new InputReader();
  const obj = input.object('(body)', body);
  input.onlyKnown(obj, FIELDS);
  if (obj.serviceKind !== undefined && obj.serviceKind !== kind) input.fail('serviceKind', `must be the kind of the path (${kind}) or left out`);
  const patterns = input.stringArray('localNumberPatterns', obj.localNumberPatterns, { max: 200 });
  patterns.forEach((p, i) => {
    try {
      new RegExp(p);
    } catch (e) {
      input.fail(`localNumberPatterns[${i}]`, `must be a regular expression: ${(e as Error).message}`);
    }
  });
  const settingsObj = obj.settings === undefined ? {} : input.object('settings', obj.settings);
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(settingsObj)) settings[k] = input.nested('settings').string(k, v, { max: 2000 });
  const dto: ServiceConfigInputDto = {
    recordEveryone: obj.recordEveryone === undefined || obj.recordEveryone === null ? null : input.bool('recordEveryone', obj.recordEveryone),
    localDomains: input.stringArray('localDomains', obj.localDomains, { max: 253, pattern: /^[A-Za-z0-9.-]+$/, hint: 'a domain name' }),
    localNumberPatterns: patterns,
    captureInterface: input.optionalString('captureInterface', obj.captureInterface, { max: 100 }),
    captureFilter: input.optionalString('captureFilter', obj.captureFilter, { max: 2000 }),
    batchMaxPackets: input.optionalInt('batchMaxPackets', obj.batchMaxPackets, 1, 100_000),
    batchWindowMs: input.optionalInt('batchWindowMs', obj.batchWindowMs, 1, 60_000),
    recordedCodecs: input.stringArray('recordedCodecs', obj.recordedCodecs, { max: 32, pattern: /^[A-Za-z0-9._-]+$/, hint: 'an encoding name such as PCMU' }),
    outputChannels: obj.outputChannels === undefined || obj.outputChannels === null ? null : input.oneOf('outputChannels', obj.outputChannels, OutputChannelsValues),
    settings,
  };
  input.done();
  return dto;
}

/** Each service kind's settings (the classic CrConfig's registry). */
@Controller('api/config')
@Access({ roles: ['admin'] })
export class ServiceConfigController {
  constructor(
    private readonly configs: ServiceConfigService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  async list(@Query() query: unknown): Promise<ServiceConfigListDto> {
    new QueryReader(query, []).done();
    return { items: await this.configs.list() };
  }

  @Get(':serviceKind')
  async get(@Param('serviceKind') kind: string): Promise<ServiceConfigDto> {
    const config = await this.configs.get(kindParam(kind));
    if (!config) throw notFound(`configuration of ${kind}`);
    return config;
  }

  /** 202: published to qm.config.v1 with the next revision. */
  @Put(':serviceKind')
  @HttpCode(HttpStatus.ACCEPTED)
  async put(@CurrentIdentity() identity: Identity, @Param('serviceKind') kind: string, @Body() body: unknown, @Req() req: Request): Promise<ServiceConfigDto> {
    const input = readServiceConfig(kindParam(kind), body);
    const published = await this.configs.put(kind, input, identity.name);
    await this.audit.record(identity, 'CONFIG_EDIT', null, `put ${kind} revision ${published.revision}`, req.ip ?? null);
    return published;
  }
}
