/** The health of one dependency. */
export class DependencyHealthDto {
  constructor(
    readonly healthy: boolean,
    /** What was checked and what it answered. */
    readonly detail: string,
    readonly latencyMs: number,
  ) {}
}

/** GET /api/health: the status service and the parts it depends on. */
export class HealthDto {
  constructor(
    readonly status: 'ok' | 'degraded',
    readonly instanceId: string,
    readonly kafka: DependencyHealthDto,
    readonly registry: DependencyHealthDto,
    readonly postgres: DependencyHealthDto,
  ) {}
}
