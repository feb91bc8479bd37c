/** One service instance from its latest heartbeat (qm.services.v1). */
export interface ServiceInstanceDto {
  instanceId: string;
  serviceKind: string;
  host: string;
  pid: number;
  version: string;
  state: string;
  startedAt: string;
  lastHeartbeatAt: string;
  lag: number;
  counters: Record<string, number>;
  assignments: string[];
  /** RUNNING and heard from within three heartbeat intervals. */
  healthy: boolean;
}

export interface ServiceInstanceListDto {
  /** The heartbeat interval health is judged by (EARSHOT_HEARTBEAT_MS). */
  heartbeatIntervalMs: number;
  items: ServiceInstanceDto[];
}
