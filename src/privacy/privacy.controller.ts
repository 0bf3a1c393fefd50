import { Body, Controller, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Allow, Authorized, CurrentAccess } from '../auth/access';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { WriteRoute } from '../operations/write-route';
import { ErasureDto } from './dto/erasure.dto';
import { ErasePersonalData } from './erasure.commands';

/** Extension of API.md (docs/api-extensions.md, "Erasure of personal data"): 152-ФЗ erasure by the director. */
@ApiTags('personal data')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class PrivacyController {
  constructor(private readonly commands: CommandBus) {}

  @Post('students/:studentId/erasure')
  @WriteRoute()
  @Allow('personal-data.erase')
  eraseStudent(
    @Param('schoolId') schoolId: string,
    @Param('studentId') studentId: string,
    @Body() body: ErasureDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new ErasePersonalData(schoolId, 'student', studentId, body.basis, access.actor, correlationId, ids));
  }

  @Post('accounts/:accountId/erasure')
  @WriteRoute()
  @Allow('personal-data.erase')
  eraseAccount(
    @Param('schoolId') schoolId: string,
    @Param('accountId') accountId: string,
    @Body() body: ErasureDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new ErasePersonalData(schoolId, 'account', accountId, body.basis, access.actor, correlationId, ids));
  }
}
