/** Console roles (docs/status-api.md): admin everything, supervisor their team's calls, agent their own. */
export type Role = 'admin' | 'supervisor' | 'agent';
export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent'];

/** What an API token may do: `read` every GET an admin may (but accounts), `agent-ingest` only the PBX agent ingest of call control. */
export type TokenScope = 'agent-ingest' | 'read';
export const TOKEN_SCOPES: readonly TokenScope[] = ['agent-ingest', 'read'];

/** Who is calling, established by AuthGuard from the session cookie or the Bearer token. */
export interface Identity {
  kind: 'session' | 'api-token';
  /** The account's username, or `token:<name>` for an API token (the audit's userId). */
  name: string;
  /** The account's role; null for an API token. */
  role: Role | null;
  /** The token's scope; null for a session. */
  scope: TokenScope | null;
  /** The directory user the account is (agents see their calls, supervisors their team's). */
  userId: string | null;
  /** SHA-256 (hex) of the presented token. */
  tokenSha256: string;
}

/** POST /api/auth/login body. */
export interface LoginDto {
  username: string;
  password: string;
}

/** POST /api/auth/login answer. */
export interface LoginResultDto {
  /** The session token: also set as the HttpOnly cookie earshot_session; usable as a Bearer token. */
  token: string;
  username: string;
  role: Role;
  /** When the session ends (ISO 8601). */
  expiresAt: string;
}

/** GET /api/auth/me answer. */
export interface MeDto {
  username: string;
  role: Role | null;
  /** For API tokens. */
  scope: TokenScope | null;
  userId: string | null;
  /** The team of the directory user, when there is one. */
  team: string | null;
}
