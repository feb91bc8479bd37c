import type { RecordingMode } from '@earshot/events';

export interface DeviceDto {
  ip: string;
  description: string | null;
}

/** PUT /api/directory/users/:userId body (the userId comes from the path). */
export interface DirectoryUserInputDto {
  displayName: string;
  extensions: string[];
  sipUris: string[];
  devices: DeviceDto[];
  team: string | null;
  supervisorId: string | null;
  /** percentage: 0..100; defaults to 100 for ALWAYS and 0 for NEVER, required for PERCENTAGE. */
  recording: { mode: RecordingMode; percentage: number };
}

/** A user as the projection holds it (GET), or as just published (PUT, 202). */
export interface DirectoryUserDto extends DirectoryUserInputDto {
  userId: string;
  updatedAt: string;
  updatedBy: string;
}

export interface DirectoryUserListDto {
  items: DirectoryUserDto[];
}
