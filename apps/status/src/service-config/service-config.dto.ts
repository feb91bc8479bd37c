import type { OutputChannels } from '@earshot/events';

/** The service kinds that read qm.config.v1. */
export const SERVICE_KINDS = ['call-control', 'rtp-collector', 'recorder', 'converter', 'status'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** PUT /api/config/:serviceKind body: the settings (fields a kind does not use stay null/empty). */
export interface ServiceConfigInputDto {
  recordEveryone: boolean | null;
  localDomains: string[];
  localNumberPatterns: string[];
  captureInterface: string | null;
  captureFilter: string | null;
  batchMaxPackets: number | null;
  batchWindowMs: number | null;
  recordedCodecs: string[];
  outputChannels: OutputChannels | null;
  settings: Record<string, string>;
}

/** A kind's configuration as the projection holds it (GET) or as just published (PUT, 202). */
export interface ServiceConfigDto extends ServiceConfigInputDto {
  serviceKind: string;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

export interface ServiceConfigListDto {
  items: ServiceConfigDto[];
}
