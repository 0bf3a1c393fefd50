import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { AccessService } from './access';
import { CredentialVault } from './credential-vault';
import { DenialLog } from './denial-log';
import { AccessGuard, TokenGuard } from './guards';
import { LoginThrottle } from './login-throttle';
import { loadSigningKey } from './signing-key';
import { JwtStrategy, LocalStrategy, SIGNING_KEY } from './strategies';

/** The token signing key, made once per start (it may need the database). */
@Module({
  providers: [
    {
      provide: SIGNING_KEY,
      inject: [DATABASE, APP_CONFIG],
      useFactory: (database: Database, config: AppConfig) => loadSigningKey(database, config.JWT_SECRET),
    },
  ],
  exports: [SIGNING_KEY],
})
class SigningKeyModule {}

/** Sign-in (passport-local), tokens (passport-jwt) and the access policy, guarding every route. */
@Global()
@Module({
  imports: [
    PassportModule,
    SigningKeyModule,
    JwtModule.registerAsync({
      imports: [SigningKeyModule],
      inject: [SIGNING_KEY],
      useFactory: (signingKey: string) => ({ secret: signingKey, signOptions: { algorithm: 'HS256' } }),
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
  exports: [CredentialVault, AccessService, JwtModule, SigningKeyModule],
})
export class AuthModule {}
