import { ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage, IsInt, IsOptional, IsString, MaxLength, registerDecorator } from 'class-validator';
import { ConsistencyQueryDto, InclusionQueryDto } from '../ledger/dto/ledger.dto';
import { memoizeValidationMetadata, validationPipe } from './validation';
import { AppError } from './app-error';

class Named {
  @IsString()
  name!: string;
}

class NamedWithAge extends Named {
  @IsInt()
  age!: number;

  @IsOptional()
  @IsString()
  note?: string;
}

const asBody = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

async function problemsOf(metatype: ArgumentMetadata['metatype'], value: object): Promise<Array<{ field: string; reason: string }>> {
  try {
    await validationPipe().transform(value, asBody(metatype));
    return [];
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return [...error.details].map(({ field, reason }) => ({ field, reason })).sort((a, b) => `${a.field}${a.reason}`.localeCompare(`${b.field}${b.reason}`));
  }
}

describe('validation with the rules of each DTO kept per class', () => {
  it('given the memo is set up twice, when the rules of DTOs are looked up, then they are class-validator’s own answers', async () => {
    // Each test file has its own module registry: nothing memoized the storage before this test's first lines.
    const storage = getMetadataStorage();
    const ask = () =>
      [InclusionQueryDto, ConsistencyQueryDto, NamedWithAge].flatMap((target) => [
        storage.getTargetValidationMetadatas(target, '', false, false),
        storage.getTargetValidationMetadatas(target, '', true, true, ['a']),
      ]);
    const own = ask();
    memoizeValidationMetadata(storage);
    memoizeValidationMetadata(storage);
    expect(ask()).toEqual(own);
    expect(ask()[0]).toBe(ask()[0]);
    expect(own[0].map((rule) => rule.propertyName)).toEqual(expect.arrayContaining(['eventId', 'treeSize']));
    expect(await problemsOf(InclusionQueryDto, { eventId: 'not-a-uuid' })).toEqual([{ field: 'eventId', reason: 'eventId must be a UUID' }]);
  });
  it('given a DTO that inherits rules, when validated twice, then both times every rule (its own and its parent’s) is applied', async () => {
    memoizeValidationMetadata();
    for (let round = 0; round < 2; round++) {
      expect(await problemsOf(NamedWithAge, { name: 7, age: 'x', note: 3 })).toEqual([
        { field: 'age', reason: 'age must be an integer number' },
        { field: 'name', reason: 'name must be a string' },
        { field: 'note', reason: 'note must be a string' },
      ]);
      expect(await problemsOf(NamedWithAge, { name: 'Аня', age: 12 })).toEqual([]);
      expect(await problemsOf(Named, { name: 'Аня', age: 12 })).toEqual([{ field: 'age', reason: 'property age should not exist' }]);
    }
  });

  it('given rules looked up once, when a rule is added to a parent afterwards, then the child is validated with it too', async () => {
    memoizeValidationMetadata();
    expect(await problemsOf(NamedWithAge, { name: 'Анастасия', age: 12 })).toEqual([]);
    MaxLength(4)(Named.prototype, 'name');
    expect(await problemsOf(NamedWithAge, { name: 'Анастасия', age: 12 })).toEqual([{ field: 'name', reason: 'name must be shorter than or equal to 4 characters' }]);
    registerDecorator({ target: NamedWithAge, propertyName: 'age', validator: { validate: (value: unknown) => value !== 13 }, options: { message: 'age must not be 13' } });
    expect(await problemsOf(NamedWithAge, { name: 'Аня', age: 13 })).toEqual([{ field: 'age', reason: 'age must not be 13' }]);
  });

});
