/**
 * The asynchronous side of Organizations: what is due happens, in the order it was due, when the
 * next request (or a state dump) looks. CreateAccount requests complete, closing accounts are
 * suspended and later closed for good, policy types finish enabling or disabling, handshakes expire.
 * No timer is involved, so a stopped emulator leaves nothing running.
 */
import { advanceClosure, completeCreateAccount } from './operations/accounts';
import { Context } from './operations/common';
import { expireHandshake } from './operations/handshakes';
import { completePolicyTypeChange } from './operations/policies';
import { PolicyTypeName } from './quotas';
import { EmulatorState } from './state';

interface DueEvent {
  readonly at: number;
  readonly seq: number;
  apply(ctx: Context): void;
}

function dueEvents(state: EmulatorState, now: number): DueEvent[] {
  const events: DueEvent[] = [];
  const org = state.organization;
  if (org) {
    for (const request of Object.values(org.createAccountRequests)) {
      if (request.state === 'IN_PROGRESS' && request.dueAt <= now) {
        events.push({ at: request.dueAt, seq: request.seq, apply: ctx => completeCreateAccount(ctx, org, request) });
      }
    }
    for (const [type, entry] of Object.entries(org.root.policyTypes)) {
      if (entry?.dueAt !== undefined && entry.dueAt <= now) {
        events.push({ at: entry.dueAt, seq: org.root.seq, apply: ctx => completePolicyTypeChange(ctx, org, type as PolicyTypeName) });
      }
    }
  }
  for (const account of Object.values(state.accounts)) {
    if (account.dueAt !== undefined && account.dueAt <= now && (account.state === 'PENDING_CLOSURE' || account.state === 'SUSPENDED')) {
      events.push({ at: account.dueAt, seq: account.seq, apply: ctx => advanceClosure(ctx, account) });
    }
  }
  for (const handshake of Object.values(state.handshakes)) {
    if ((handshake.state === 'OPEN' || handshake.state === 'REQUESTED') && handshake.expiresAt <= now) {
      events.push({ at: handshake.expiresAt, seq: handshake.seq, apply: ctx => expireHandshake(ctx, handshake) });
    }
  }
  return events;
}

/**
 * Applies every change due by `now`, earliest first, each in a context whose clock reads the
 * moment it was due. Returns how many changes were applied.
 */
export function advance(state: EmulatorState, now: number, contextAt: (at: number) => Context): number {
  let applied = 0;
  for (;;) {
    const events = dueEvents(state, now);
    if (events.length === 0) return applied;
    const next = events.reduce((a, b) => (b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a));
    next.apply(contextAt(next.at));
    applied++;
  }
}
