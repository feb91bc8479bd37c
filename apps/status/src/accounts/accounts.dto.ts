import type { Role, TokenScope } from '../auth/auth.dto';

export interface AccountDto {
  username: string;
  role: Role;
  userId: string | null;
  createdAt: string;
}

export interface AccountListDto {
  items: AccountDto[];
}

/** POST /api/accounts body. */
export interface NewAccountDto {
  username: string;
  /** 8 to 1000 characters; stored as an scrypt hash. */
  password: string;
  role: Role;
  /** The directory user the account is (required for agents and supervisors to see any call). */
  userId: string | null;
}

/** POST /api/tokens body. */
export interface NewTokenDto {
  name: string;
  scope: TokenScope;
}

/** POST /api/tokens answer: the token is shown once, only its SHA-256 is kept. */
export interface CreatedTokenDto {
  name: string;
  scope: TokenScope;
  token: string;
  createdAt: string;
}
