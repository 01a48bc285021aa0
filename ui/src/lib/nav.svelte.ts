// Which screen the window shows (Svelte 5 runes), and a document handed from one screen to
// another ("Kiểm tra" on a signed result opens it in the verify screen).
import { untrack } from "svelte";
import type { DocumentDto } from "./bindings";

export const SCREENS = ["welcome", "sign", "clerk", "mailbox", "verify", "identities", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export const nav = $state<{ screen: Screen; handoff: DocumentDto | null }>({ screen: "sign", handoff: null });

export function show(screen: Screen, handoff: DocumentDto | null = null): void {
  nav.handoff = handoff;
  nav.screen = screen;
}

/** Takes the document handed to `screen`, once. */
export function takeHandoff(screen: Screen): DocumentDto | null {
  if (nav.screen !== screen || !nav.handoff) return null;
  const doc = nav.handoff;
  nav.handoff = null;
  return doc;
}

/**
 * Runs `fn` each time `screen` is shown (and at once if it is): screens stay mounted, so an
 * identity imported on another screen must reach the sign and clerk screens' lists. Call it
 * while a component initialises.
 */
export function onShown(screen: Screen, fn: () => void): void {
  $effect(() => {
    if (nav.screen === screen) untrack(fn);
  });
}
