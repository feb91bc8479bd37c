import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { InputReader, QueryReader } from '../api/input';
import { Access } from '../auth/auth.decorators';
import { ROLES, TOKEN_SCOPES } from '../auth/auth.dto';
import { USER_ID } from '../directory/directory.controller';
import type { AccountDto, AccountListDto, CreatedTokenDto, NewAccountDto, NewTokenDto } from './accounts.dto';
import { AccountsService } from './accounts.service';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const NAME_HINT = '1 to 64 letters, digits, ., _, @ or - (starting with a letter or digit)';

function readAccount(body: unknown): NewAccountDto {
  const input = new InputReader();
  const obj = input.object('(body)', body);
  input.onlyKnown(obj, ['username', 'password', 'role', 'userId']);
  const dto: NewAccountDto = {
    username: input.string('username', obj.username, { pattern: NAME, hint: NAME_HINT }),
    password: input.string('password', obj.password, { max: 1000 }),
    role: input.oneOf('role', obj.role, ROLES),
    userId: input.optionalString('userId', obj.userId, { pattern: USER_ID, hint: 'a directory user id' }),
  };
  if (dto.password && dto.password.length < 8) input.fail('password', 'must be at least 8 characters');
  input.done();
  return dto;
}

function readToken(body: unknown): NewTokenDto {
  const input = new InputReader();
  const obj = input.object('(body)', body);
  input.onlyKnown(obj, ['name', 'scope']);
  const dto: NewTokenDto = { name: input.string('name', obj.name, { pattern: NAME, hint: NAME_HINT }), scope: input.oneOf('scope', obj.scope, TOKEN_SCOPES) };
  input.done();
  return dto;
}

/** Console accounts and API tokens: admins only. */
@Controller('api')
@Access({ roles: ['admin'] })
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get('accounts')
  async list(@Query() query: unknown): Promise<AccountListDto> {
    new QueryReader(query, []).done();
    return { items: await this.accounts.list() };
  }

  /** 201; 409 when the username is taken. */
  @Post('accounts')
  create(@Body() body: unknown): Promise<AccountDto> {
    return this.accounts.create(readAccount(body));
  }

  /** 201 with the token (shown once); 409 when the name is taken. */
  @Post('tokens')
  createToken(@Body() body: unknown): Promise<CreatedTokenDto> {
    return this.accounts.createToken(readToken(body));
  }
}
