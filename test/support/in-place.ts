import type { StoredEvent } from '../../src/event-store/envelope';
import type { DocumentProjector } from '../../projections/projector';

/**
 * A projector's two folds side by side (its spec asserts they are equal): `evolveInPlace` as a
 * rebuild uses it, and `evolve` with every document it returns deep-frozen, so a pure fold that
 * changed what it was given throws. `voidedBy` says which events a seesVoid projector sees as void.
 */
export function bothFolds<Doc>(projector: DocumentProjector<Doc>, events: readonly StoredEvent[], voidedBy: (event: StoredEvent) => string | null = () => null): { inPlace: Map<string, Doc>; pure: Map<string, Doc> } {
  const fold = (evolve: NonNullable<DocumentProjector<Doc>['evolveInPlace']>, freeze: boolean) => {
    const docs = new Map<string, Doc>();
    for (const event of events) {
      for (const key of projector.keys(event)) {
        const next = evolve.call(projector, docs.get(key) ?? null, event, key, voidedBy(event));
        docs.set(key, freeze ? deepFreeze(next) : next);
      }
    }
    return docs;
  };
  if (!projector.evolveInPlace) throw new Error(`${projector.name} has no evolveInPlace`);
  return { inPlace: fold(projector.evolveInPlace, false), pure: fold(projector.evolve, true) };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
