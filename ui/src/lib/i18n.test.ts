import { describe, expect, it } from "vitest";
import vi from "../i18n/vi.json";
import en from "../i18n/en.json";
import { CATALOGUE, catalogueText, errorLines, format, formatTime, translate, type Dict, type Lang } from "./i18n";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n files", () => {
  it("every key in vi.json exists in en.json and vice versa", () => {
    const viKeys = Object.keys(vi).sort();
    const enKeys = Object.keys(en).sort();
    expect(viKeys.filter((k) => !(k in en))).toEqual([]);
    expect(enKeys.filter((k) => !(k in vi))).toEqual([]);
  });

  it("no string is empty and both languages use the same placeholders", () => {
    const viDict: Dict = vi;
    const enDict: Dict = en;
    for (const key of Object.keys(viDict)) {
      expect(viDict[key]?.trim(), key).not.toBe("");
      expect(placeholders(enDict[key] ?? ""), key).toEqual(placeholders(viDict[key] ?? ""));
    }
  });

  it("Vietnamese strings keep their diacritics (UTF-8 intact)", () => {
    expect(vi["app.title"]).toBe("Kyso — Ký số văn bản");
  });
});

describe("translate", () => {
  const dicts: Record<Lang, Dict> = {
    vi: { hello: "Xin chào {name}", onlyVi: "chỉ có tiếng Việt" },
    en: { hello: "Hello {name}" },
  };

  it("looks up the requested language and fills placeholders", () => {
    expect(translate("en", "hello", { name: "An" }, dicts)).toBe("Hello An");
    expect(translate("vi", "hello", { name: "An" }, dicts)).toBe("Xin chào An");
  });

  it("falls back to Vietnamese, then to the key itself", () => {
    expect(translate("en", "onlyVi", undefined, dicts)).toBe("chỉ có tiếng Việt");
    expect(translate("en", "missing.key", undefined, dicts)).toBe("missing.key");
  });

  it("leaves unknown placeholders visible", () => {
    expect(format("{a} and {b}", { a: 1 })).toBe("1 and {b}");
  });
});

describe("the catalogue of messages (shared with the kyso command)", () => {
  it("words a code in both languages, with its values", () => {
    expect(catalogueText("vi", "DESKTOP_IPC")).toBe(CATALOGUE.vi["DESKTOP_IPC"]);
    expect(catalogueText("en", "DESKTOP_IPC")).toBe(CATALOGUE.en["DESKTOP_IPC"]);
    expect(catalogueText("vi", "DESKTOP_IPC")).not.toBe(catalogueText("en", "DESKTOP_IPC"));
  });

  it("an unknown code is shown as itself, never blank", () => {
    expect(catalogueText("vi", "CMS_SOMETHING_NEW")).toBe("CMS_SOMETHING_NEW");
  });

  it("the window's language comes first", () => {
    const error = { vi: "Mật khẩu không đúng", en: "The password is wrong" };
    expect(errorLines(error, "vi")).toEqual({ first: error.vi, second: error.en });
    expect(errorLines(error, "en")).toEqual({ first: error.en, second: error.vi });
  });

  it("no error text is kept in the UI's own files (one catalogue)", () => {
    expect(Object.keys(vi).filter((k) => k.startsWith("errors."))).toEqual([]);
  });
});

describe("formatTime", () => {
  it("day first in both languages, and a dash for no time", () => {
    const iso = "2026-11-22T03:05:09Z";
    const vi = formatTime(iso, "vi");
    expect(vi).toMatch(/\d{2}\/\d{2}\/2026/);
    expect(formatTime(iso, "en")).toMatch(/\d{2}\/\d{2}\/2026/);
    expect(formatTime(undefined, "vi")).toBe("—");
  });
});
