// Pure helpers for choosing what to sign with: no Svelte, no DOM, unit-tested.
import type { IdentityDto } from "./bindings";

/** The choice "a .p12 file" in the identity selector. */
export const P12_FILE = "";

/** What the signing form must ask for, given the chosen identity (null: a .p12 file). */
export function signRequirement(identity: IdentityDto | null): "p12" | "pin" | "none" {
  if (!identity) return "p12";
  return identity.needsPin && !identity.unlocked ? "pin" : "none";
}

/**
 * The identity to preselect: the current choice when it still exists, else the default
 * identity, else the first one, else a .p12 file.
 */
export function preferredIdentity(identities: IdentityDto[], current: string): string {
  if (current !== P12_FILE && identities.some((i) => i.id === current)) return current;
  return (identities.find((i) => i.isDefault) ?? identities[0])?.id ?? P12_FILE;
}

/** The id of the identity in `after` that was not in `before` (the one just imported). */
export function newIdentity(before: IdentityDto[], after: IdentityDto[]): string | undefined {
  const known = new Set(before.map((i) => i.id));
  return after.find((i) => !known.has(i.id))?.id;
}
