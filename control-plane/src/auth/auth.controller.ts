import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type ChangePasswordInput,
  ChangePasswordSchema,
  type LoginInput,
  LoginSchema,
} from '@portcullis/shared/auth';
import type { Response } from 'express';
import { Auth, Public, SourceIp } from '../common/decorators/auth.decorators';
import { jsonSchema } from '../common/openapi';
import type { AuthContext } from '../common/request-context';
import { ZodPipe } from '../common/zod.pipe';
import { APP_CONFIG, type AppConfig, cookieSecure } from '../config/config';
import { AuthService } from './auth.service';
import { SESSION_COOKIE, SessionsService } from './sessions.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.secureCookie = cookieSecure(config);
  }

  private readonly secureCookie: boolean;

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with email and password; returns a session token and sets the session cookie',
  })
  @ApiBody({ schema: jsonSchema(LoginSchema) })
  async login(
    @Body(new ZodPipe(LoginSchema)) body: LoginInput,
    @SourceIp() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const signedIn = await this.auth.login(body, ip, userAgent ?? null);
    res.cookie(SESSION_COOKIE, signedIn.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secureCookie,
      path: '/',
      maxAge: this.sessions.ttlMs,
    });
    return signedIn;
  }

  @Post('auth/logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the current session' })
  async logout(@Auth() auth: AuthContext, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.destroy(auth.sessionId);
    res.clearCookie(SESSION_COOKIE, {
      path: '/',
      secure: this.secureCookie,
      sameSite: 'lax',
      httpOnly: true,
    });
  }

  @Post('auth/logout-everywhere')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of the signed-in user, this one included' })
  async logoutEverywhere(
    @Auth() auth: AuthContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.sessions.destroyAllOf(auth.userId);
    res.clearCookie(SESSION_COOKIE, {
      path: '/',
      secure: this.secureCookie,
      sameSite: 'lax',
      httpOnly: true,
    });
  }

  @Post('auth/password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Change the password (the current one is required); every other session of the user ends',
  })
  @ApiBody({ schema: jsonSchema(ChangePasswordSchema) })
  async changePassword(
    @Auth() auth: AuthContext,
    @Body(new ZodPipe(ChangePasswordSchema)) body: ChangePasswordInput,
    @SourceIp() ip: string,
  ): Promise<void> {
    await this.auth.changePassword(auth, body, ip);
  }

  @Get('auth/sessions')
  @ApiOperation({ summary: "The signed-in user's live sessions (when and where each began; never a token)" })
  async listSessions(@Auth() auth: AuthContext) {
    return { data: await this.sessions.listOf(auth.userId, auth.sessionId), nextCursor: null };
  }

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user and their organizations' })
  me(@Auth() auth: AuthContext) {
    return this.auth.me(auth.userId);
  }
}
