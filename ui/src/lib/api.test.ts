import { describe, expect, it } from "vitest";
import { toErrorDto } from "./api";
import { CATALOGUE } from "./i18n";

describe("toErrorDto", () => {
  it("keeps an ErrorDto from a command as it is, worded by the core", () => {
    const dto = { code: "PDF_NOT_A_PDF", vi: "x.pdf: Tệp không phải PDF.", en: "x.pdf: Not a PDF.", message: "x.pdf: not a PDF" };
    expect(toErrorDto(dto)).toEqual(dto);
  });

  it("words an error that came without its texts from the catalogue", () => {
    expect(toErrorDto({ code: "PDF_NOT_A_PDF", message: "x.pdf: not a PDF" })).toEqual({
      code: "PDF_NOT_A_PDF",
      message: "x.pdf: not a PDF",
      vi: CATALOGUE.vi["PDF_NOT_A_PDF"],
      en: CATALOGUE.en["PDF_NOT_A_PDF"],
    });
  });

  it("wraps anything else (IPC failure, plain string) as DESKTOP_IPC, worded in both languages", () => {
    expect(toErrorDto("command sign_pdf not allowed")).toEqual({
      code: "DESKTOP_IPC",
      message: "command sign_pdf not allowed",
      vi: CATALOGUE.vi["DESKTOP_IPC"],
      en: CATALOGUE.en["DESKTOP_IPC"],
    });
    expect(toErrorDto(new Error("boom")).code).toBe("DESKTOP_IPC");
  });
});

describe("toErrorDto with metadata problems", () => {
  const worded = { vi: "Thông tin văn bản chưa đúng (1 lỗi).", en: "The metadata is wrong (1 problem)." };

  it("keeps the field problems of META_INVALID", () => {
    const problem = {
      field: "from.organ_id",
      code: "META_ORGAN_ID",
      messageVi: "\"H35\" không phải là mã định danh cơ quan",
      messageEn: "\"H35\" is not an agency code",
    };
    expect(toErrorDto({ code: "META_INVALID", message: "m", ...worded, problems: [problem] })).toEqual({
      code: "META_INVALID",
      message: "m",
      ...worded,
      problems: [problem],
    });
  });

  it("drops a problems field that is not a list of problems", () => {
    expect(toErrorDto({ code: "X", message: "m", ...worded, problems: [{ field: 1 }] })).toEqual({
      code: "X",
      message: "m",
      ...worded,
    });
  });
});
