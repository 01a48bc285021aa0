import { describe, expect, it } from "vitest";
import { toErrorDto } from "./api";

describe("toErrorDto", () => {
  it("keeps an ErrorDto from the sign command as it is", () => {
    expect(toErrorDto({ code: "PDF_NOT_A_PDF", message: "x.pdf: not a PDF" })).toEqual({
      code: "PDF_NOT_A_PDF",
      message: "x.pdf: not a PDF",
    });
  });

  it("wraps anything else (IPC failure, plain string) as DESKTOP_IPC", () => {
    expect(toErrorDto("command sign_pdf not allowed")).toEqual({
      code: "DESKTOP_IPC",
      message: "command sign_pdf not allowed",
    });
    expect(toErrorDto(new Error("boom")).code).toBe("DESKTOP_IPC");
  });
});

describe("toErrorDto with metadata problems", () => {
  it("keeps the field problems of META_INVALID", () => {
    const problem = {
      field: "from.organ_id",
      code: "META_ORGAN_ID",
      messageVi: "\"H35\" không phải là mã định danh cơ quan",
      messageEn: "\"H35\" is not an agency code",
    };
    expect(toErrorDto({ code: "META_INVALID", message: "m", problems: [problem] })).toEqual({
      code: "META_INVALID",
      message: "m",
      problems: [problem],
    });
  });

  it("drops a problems field that is not a list of problems", () => {
    expect(toErrorDto({ code: "X", message: "m", problems: [{ field: 1 }] })).toEqual({
      code: "X",
      message: "m",
    });
  });
});
