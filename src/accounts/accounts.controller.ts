import { Body, CanActivate, Controller, createParamDecorator, ExecutionContext, Get, HttpCode, Injectable, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { JwtService } from '@nestjs/jwt';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { HttpRequest as Request } from '../common/http';
import { Allow, Authorized, CurrentAccess, Public, str } from '../auth/access';
import { Principal, TokenClaims } from '../auth/principal';
import { TOKEN_TTL_SECONDS } from '../auth/strategies';
import { validationFailed } from '../common/app-error';
import { notFound } from '../common/domain-error';
import { toFieldProblems } from '../common/validation';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { AccountDirectory } from './account-directory';
import { ChangeRoles, CreateAccount, CreateSchool, GrantInspector, ReissueCredentials } from './accounts.commands';
import { ChangeRolesDto, CreateAccountDto, CreateSchoolDto, InspectorGrantDto, LoginDto, ReissueCredentialsDto } from './dto/accounts.dto';
import { WriteRoute } from '../operations/write-route';
import { ReadsViews } from '../operations/read-your-writes.guard';

/** A malformed login body is a 400 and never counts as a wrong password: checked before passport. */
@Injectable()
class LoginBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const body = plainToInstance(LoginDto, request.body ?? {});
    const errors = validateSync(body, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw validationFailed(toFieldProblems(errors));
    return true;
  }
}

/** The account passport-local just signed in. */
const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<Request & { user: Principal }>().user);

const issued = (access: Authorized, correlationId: string, ids: OperationIds, schoolId: string | null) => ({ actor: access.actor, schoolId, correlationId, ids });

@ApiTags('auth and accounts')
@ApiBearerAuth()
@Controller()
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly jwt: JwtService,
    private readonly accounts: AccountDirectory,
  ) {}

  @Post('auth/login')
  @Public()
  @HttpCode(200)
  @UseGuards(LoginBodyGuard, AuthGuard('local'))
  async login(@Body() _body: LoginDto, @CurrentPrincipal() principal: Principal) {
    const claims: TokenClaims = { sub: principal.accountId, sch: principal.schoolId, roles: [...principal.roles], gen: principal.generation };
    return {
      accessToken: await this.jwt.signAsync(claims, { expiresIn: TOKEN_TTL_SECONDS }),
      tokenType: 'Bearer',
      expiresIn: TOKEN_TTL_SECONDS,
      accountId: principal.accountId,
      schoolId: principal.schoolId,
      roles: principal.roles,
    };
  }

  @Get('auth/me')
  @Allow('auth.me')
  @ReadsViews()
  me(@CurrentAccess() { principal }: Authorized) {
    return { accountId: principal.accountId, schoolId: principal.schoolId, login: principal.login, fullName: principal.fullName, roles: principal.roles };
  }

  @Post('schools')
  @WriteRoute()
  @Allow('school.create')
  createSchool(@Body() body: CreateSchoolDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds): Promise<WriteAnswer> {
    return this.commands.execute(new CreateSchool(issued(access, correlationId, ids, null), body.name, body.timezone ?? 'Europe/Moscow'));
  }

  @Post('schools/:schoolId/accounts')
  @WriteRoute()
  @Allow('account.create', (request) => ({ roles: Array.isArray(request.body?.roles) ? request.body.roles : undefined }))
  createAccount(
    @Param('schoolId') schoolId: string,
    @Body() body: CreateAccountDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new CreateAccount(issued(access, correlationId, ids, schoolId), body.login, body.password, body.fullName, body.roles));
  }

  @Post('schools/:schoolId/inspector-grants')
  @WriteRoute()
  @Allow('inspector.grant')
  grantInspector(@Param('schoolId') schoolId: string, @Body() body: InspectorGrantDto, @CurrentAccess() access: Authorized, @CorrelationId() correlationId: string, @Ids() ids: OperationIds) {
    return this.commands.execute(new GrantInspector(issued(access, correlationId, ids, schoolId), body.accountId));
  }

  @Get('schools/:schoolId/accounts/:accountId')
  @Allow('account.read', (request) => ({ accountId: str(request.params.accountId) }))
  @ReadsViews()
  async readAccount(@Param('schoolId') schoolId: string, @Param('accountId') accountId: string) {
    const account = await this.accounts.get(accountId);
    if (!account || account.schoolId !== schoolId) throw notFound('account');
    return { id: account.accountId, login: account.login, fullName: account.fullName, roles: account.roles, status: account.status };
  }

  @Post('schools/:schoolId/accounts/:accountId/credentials')
  @WriteRoute()
  @Allow('account.reissue')
  reissue(
    @Param('schoolId') schoolId: string,
    @Param('accountId') accountId: string,
    @Body() body: ReissueCredentialsDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new ReissueCredentials(issued(access, correlationId, ids, schoolId), accountId, body.password));
  }

  /** Extension of API.md (docs/api-extensions.md, issue 12): the account's roles become exactly `roles`. */
  @Post('schools/:schoolId/accounts/:accountId/roles')
  @WriteRoute()
  @Allow('account.roles', (request) => ({ accountId: str(request.params.accountId) }))
  changeRoles(
    @Param('schoolId') schoolId: string,
    @Param('accountId') accountId: string,
    @Body() body: ChangeRolesDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new ChangeRoles(issued(access, correlationId, ids, schoolId), accountId, body.roles, body.reason));
  }
}
