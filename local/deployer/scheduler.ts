/**
 * Runs operations in dependency order with as much parallelism as the dependencies allow, the way
 * CloudFormation processes the resources of a stack.
 */

/** What happens to the rest of a phase once an operation fails. */
export type FailureMode =
  /** Stop starting operations and stop waiting for running ones (CloudFormation cancels them). */
  | 'cancel'
  /** Stop starting operations, but let running ones finish (rollback). */
  | 'stop'
  /** Keep going with every operation that does not need the failed one (deletion). */
  | 'continue';

/** Lets an operation learn that the phase stopped waiting for it. */
export interface CancellationToken {
  cancelled: boolean;
}

export interface PhaseOutcome {
  readonly succeeded: readonly string[];
  readonly failed: readonly string[];
  /** Running when the phase was cancelled; their operations go on in `background`. */
  readonly cancelled: readonly string[];
  readonly notStarted: readonly string[];
  readonly background: readonly Promise<unknown>[];
}

/**
 * Runs `operation` for every id once all of its `prerequisites` (among `ids`) succeeded. An
 * operation resolves true on success; a rejection counts as a failure and is reported to `onError`.
 */
export function runInOrder(
  ids: readonly string[],
  prerequisites: (id: string) => Iterable<string>,
  operation: (id: string, token: CancellationToken) => Promise<boolean>,
  options: {
    mode: FailureMode;
    onCancel?: (id: string) => void;
    onError?: (id: string, error: unknown) => void;
    /** Once aborted, no operation starts; running ones finish (a user's interruption). */
    stop?: AbortSignal;
  },
): Promise<PhaseOutcome> {
  const members = new Set(ids);
  const pending = [...ids];
  const succeeded: string[] = [];
  const failed: string[] = [];
  const cancelled: string[] = [];
  const background: Promise<unknown>[] = [];
  const running = new Map<string, CancellationToken>();
  let stopped = false;
  let finished = false;

  return new Promise<PhaseOutcome>(resolve => {
    const onStop = () => {
      stopped = true;
      pump();
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      options.stop?.removeEventListener('abort', onStop);
      resolve({ succeeded, failed, cancelled, notStarted: pending, background });
    };
    const pump = () => {
      if (finished) return;
      if (!stopped) {
        for (const id of [...pending]) {
          const ready = [...prerequisites(id)].every(dep => dep === id || !members.has(dep) || succeeded.includes(dep));
          if (ready) {
            pending.splice(pending.indexOf(id), 1);
            start(id);
          }
        }
      }
      if (running.size === 0) finish();
    };
    const start = (id: string) => {
      const token: CancellationToken = { cancelled: false };
      running.set(id, token);
      const settled = operation(id, token)
        .catch(error => {
          options.onError?.(id, error);
          return false;
        })
        .then(ok => {
          if (token.cancelled) return;
          running.delete(id);
          if (ok) {
            succeeded.push(id);
          } else {
            failed.push(id);
            if (options.mode !== 'continue') stopped = true;
            if (options.mode === 'cancel') {
              for (const [other, otherToken] of running) {
                otherToken.cancelled = true;
                cancelled.push(other);
                options.onCancel?.(other);
              }
              running.clear();
            }
          }
          pump();
        });
      background.push(settled);
    };
    if (options.stop?.aborted) stopped = true;
    else options.stop?.addEventListener('abort', onStop);
    pump();
  });
}
