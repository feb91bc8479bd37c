import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InputReader } from '../api/input';
import { unauthorized } from '../api/api-errors';
import { AuditService } from '../audit/audit.service';
import { CurrentIdentity, Public } from './auth.decorators';
import type { Identity, LoginDto, LoginResultDto, MeDto } from './auth.dto';
import { SESSION_COOKIE } from './auth.guard';
import { AuthService } from './auth.service';

function readLogin(body: unknown): LoginDto {
  const input = new InputReader();
  const obj = input.object('(body)', body);
  const dto = { username: input.string('username', obj.username, { max: 200 }), password: input.string('password', obj.password, { max: 1000 }) };
  input.done();
  return dto;
}

@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {}

  /** 200 with a session token and the HttpOnly cookie; 401 for a wrong name or password (the same answer for both). */
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(@Body() body: unknown, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResultDto> {
    const dto = readLogin(body);
    const session = await this.auth.login(dto.username, dto.password);
    if (!session) throw unauthorized('wrong username or password');
    res.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure, expires: session.expiresAt,
    });
    // The login itself does not depend on the audit trail being reachable.
    await this.audit.record({ name: dto.username }, 'LOGIN', null, null, req.ip ?? null).catch(() => undefined);
    return { token: session.token, username: dto.username, role: session.role, expiresAt: session.expiresAt.toISOString() };
  }

  /** Ends the session of the presented token (an API token stays valid) and clears the cookie. */
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@CurrentIdentity() identity: Identity, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(identity);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  me(@CurrentIdentity() identity: Identity): Promise<MeDto> {
    return this.auth.me(identity);
  }
}
