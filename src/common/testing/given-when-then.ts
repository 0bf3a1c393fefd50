import { DomainError } from '../domain-error';

/**
 * given(events).when(command).then(expected) | .thenRefuses(code): the shape of every decider test
 * (STYLE.md §1). Pure: no database, no clock.
 */
export function deciderSpec<State, Event, Command>(decider: { initialState(): State; evolve(state: State, event: Event): State; decide(command: Command, state: State): Event[] }) {
  return {
    given(history: Event[]) {
      const state = history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]) {
              expect(run()).toEqual(expected);
            },
            thenRefuses(code: string, field?: string) {
              let error: unknown;
              try {
                run();
              } catch (thrown) {
                error = thrown;
              }
              expect(error).toBeInstanceOf(DomainError);
              expect((error as DomainError).code).toBe(code);
              if (field !== undefined) expect((error as DomainError).field).toBe(field);
            },
          };
        },
      };
    },
  };
}
