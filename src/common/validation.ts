import { ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { FieldProblem, validationFailed } from './app-error';

/** class-validator's tree of errors, flattened to dotted paths. */
export function toFieldProblems(errors: readonly ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
const MEMOIZED = Symbol('zhurnal.validationMetadataMemoized');

/**
 * class-validator looks a DTO's rules up by scanning every decorated class of the app for its
 * ancestors, on every validation (typestack/class-validator#2686): a fifth of a small request's
 * CPU here (profile of `npm run bench -- ledger`). The answer for a class never changes once its
 * decorators ran, so it is kept per class and arguments; any rule added later clears it all.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [MEMOIZED]?: true };
  if (marked[MEMOIZED]) return;
  marked[MEMOIZED] = true;
  let memo = new WeakMap<object, Map<string, ReturnType<MetadataStorage['getTargetValidationMetadatas']>>>();
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    memo = new WeakMap();
    addRule(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function') return lookUp(target, schema, always, strictGroups, groups);
    const key = JSON.stringify([schema, always, strictGroups, groups ?? null]);
    let byArguments = memo.get(target);
    if (!byArguments) memo.set(target, (byArguments = new Map()));
    let rules = byArguments.get(key);
    if (!rules) byArguments.set(key, (rules = lookUp(target, schema, always, strictGroups, groups)));
    return rules;
  };
}

/** Unknown fields are refused, not dropped; nothing is converted behind the client's back. */
export const validationPipe = () => {
  memoizeValidationMetadata();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(toFieldProblems(errors)),
  });
};
