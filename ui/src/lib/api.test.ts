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
