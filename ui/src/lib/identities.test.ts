import { describe, expect, it } from "vitest";
import type { IdentityDto } from "./bindings";
import { P12_FILE, newIdentity, preferredIdentity, signRequirement } from "./identities";

function identity(id: string, extra: Partial<IdentityDto> = {}): IdentityDto {
  return {
    id,
    label: `Chữ ký ${id}`,
    subject: "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, C=VN",
    issuer: "CN=CA thử nghiệm",
    validFrom: "2026-01-01",
    validTo: "2028-01-01",
    source: "vault",
    needsPin: false,
    unlocked: false,
    isDefault: false,
    expiresInDays: 400,
    ...extra,
  };
}

describe("signRequirement", () => {
  it("a .p12 file needs its file and password; a plain vault identity nothing", () => {
    expect(signRequirement(null)).toBe("p12");
    expect(signRequirement(identity("a"))).toBe("none");
  });

  it("a token or a PIN-protected vault identity needs the PIN until unlocked", () => {
    expect(signRequirement(identity("t", { source: "token", needsPin: true }))).toBe("pin");
    expect(signRequirement(identity("t", { source: "token", needsPin: true, unlocked: true }))).toBe("none");
    expect(signRequirement(identity("v", { needsPin: true }))).toBe("pin");
  });
});

describe("preferredIdentity", () => {
  const list = [identity("a"), identity("b", { isDefault: true })];
  it("keeps the current choice, else the default, else the first, else the .p12 file", () => {
    expect(preferredIdentity(list, "a")).toBe("a");
    expect(preferredIdentity(list, P12_FILE)).toBe("b");
    expect(preferredIdentity(list, "gone")).toBe("b");
    expect(preferredIdentity([identity("c")], P12_FILE)).toBe("c");
    expect(preferredIdentity([], "a")).toBe(P12_FILE);
  });

  it("newIdentity finds the one just imported", () => {
    expect(newIdentity([identity("a")], [identity("a"), identity("z")])).toBe("z");
    expect(newIdentity([identity("a")], [identity("a")])).toBeUndefined();
  });
});
