import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AccessService } from './access';
import { CredentialVault } from './credential-vault';
import { DenialLog } from './denial-log';
import { AccessGuard, TokenGuard } from './guards';
import { LoginThrottle } from './login-throttle';
import { ServiceKeysModule, SIGNING_KEY } from './service-keys';
import { JwtStrategy, LocalStrategy } from './strategies';

/** Sign-in (passport-local), tokens (passport-jwt) and the access policy, guarding every route. */
@Global()
@Module({
  imports: [
    PassportModule,
    ServiceKeysModule,
    JwtModule.registerAsync({
      imports: [ServiceKeysModule],
      inject: [SIGNING_KEY],
      useFactory: (signingKey: Buffer) => ({ secret: signingKey, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  providers: [
    CredentialVault,
    LoginThrottle,
    DenialLog,
    AccessService,
    JwtStrategy,
    LocalStrategy,
    { provide: APP_GUARD, useClass: TokenGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  // JwtStrategy: a long-lived answer (the change feed's event stream) checks its token again as it goes.
  exports: [CredentialVault, AccessService, JwtModule, ServiceKeysModule, JwtStrategy],
})
export class AuthModule {}
