import { describe, expect, it } from "vitest";
import vi from "../i18n/vi.json";
import en from "../i18n/en.json";
import { describeError, errorText, format, translate, type Dict, type Lang } from "./i18n";

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

describe("error texts", () => {
  it("uses the specific Vietnamese text for a known code", () => {
    const d = describeError("PDF_NOT_A_PDF", "input.txt: not a PDF (no %PDF- header)");
    expect(d.specific).toBe(true);
    expect(d.vi).toBe(vi["errors.PDF_NOT_A_PDF"]);
    expect(d.en).toBe("input.txt: not a PDF (no %PDF- header)");
  });

  it("uses the generic Vietnamese sentence (with the code) plus the English message otherwise", () => {
    const d = describeError("CMS_SOMETHING_NEW", "something broke");
    expect(d.specific).toBe(false);
    expect(d.vi).toContain("CMS_SOMETHING_NEW");
    expect(d.en).toBe("something broke");
    expect(errorText("en", "CMS_SOMETHING_NEW")).toBeUndefined();
  });
});
