// A shared counter the outbox list watches: bumped when this window queued or retried a
// document, so the list reloads at once rather than after the next sync pass.
export const outboxChanges = $state<{ version: number }>({ version: 0 });

export function outboxChanged(): void {
  outboxChanges.version += 1;
}
