import { describe, expect, it } from "vitest";
import type { DocumentMetaDto } from "./bindings";
import { canCancel, canRetry, connectionKey, newDocumentForm, problemsFor, stateKey, today } from "./outbox";

const remembered: DocumentMetaDto = {
  from: { organId: "000.00.00.H35", name: "Ủy ban nhân dân tỉnh Hà Nam" },
  to: [{ organId: "000.01.35.H35", name: "Sở Thông tin và Truyền thông" }],
  codeNumber: "123",
  codeNotation: "QĐ-UBND",
  promulgationPlace: "Phủ Lý",
  promulgationDate: "2026-11-20",
  documentType: "1",
  documentTypeName: "Quyết định",
  subject: "Trích yếu cũ",
  signerCompetence: "TM. Ủy ban nhân dân",
  signerPosition: "Chủ tịch",
  signerFullName: "Nguyễn Văn An",
  priority: 2,
};

describe("newDocumentForm", () => {
  it("keeps who sends, to whom and who signs, never this document's number, date or subject", () => {
    const form = newDocumentForm(remembered, new Date(2026, 10, 27, 9, 0));
    expect(form.from).toEqual(remembered.from);
    expect(form.to).toEqual(remembered.to);
    expect(form.to[0]).not.toBe(remembered.to[0]);
    expect(form.signerFullName).toBe("Nguyễn Văn An");
    expect(form.codeNotation).toBe("QĐ-UBND");
    expect(form.codeNumber).toBe("");
    expect(form.subject).toBe("");
    expect(form.priority).toBe(0);
    expect(form.promulgationDate).toBe("2026-11-27");
  });

  it("starts with one empty recipient when nothing is remembered", () => {
    const form = newDocumentForm(null, new Date(2026, 0, 5));
    expect(form.to).toEqual([{ organId: "", name: "" }]);
    expect(form.promulgationDate).toBe("2026-01-05");
  });
});

describe("outbox helpers", () => {
  it("today pads month and day", () => {
    expect(today(new Date(2026, 2, 4))).toBe("2026-03-04");
  });

  it("problemsFor picks the engine's field names", () => {
    const problems = [
      { field: "from.organ_id", code: "META_ORGAN_ID", messageVi: "a", messageEn: "b" },
      { field: "to[0].name", code: "META_MISSING", messageVi: "c", messageEn: "d" },
    ];
    expect(problemsFor("to[0].name", problems).map((p) => p.code)).toEqual(["META_MISSING"]);
    expect(problemsFor("subject", problems)).toEqual([]);
    expect(problemsFor("subject", undefined)).toEqual([]);
  });

  it("states and connections map to i18n keys, unknown ones to a visible fallback", () => {
    expect(stateKey({ state: "refused" })).toBe("outbox.state.refused");
    expect(stateKey({ state: "weird" })).toBe("outbox.state.unknown");
    expect(stateKey({ state: "sent", statusCode: "01" })).toBe("outbox.state.arrived");
    expect(stateKey({ state: "sent", statusCode: "03" })).toBe("outbox.state.registered");
    expect(stateKey({ state: "queued" }, true)).toBe("outbox.state.sending");
    expect(canCancel({ state: "queued", attempts: 0 })).toBe(true);
    expect(canCancel({ state: "queued", attempts: 1 })).toBe(false);
    expect(canCancel({ state: "sent", attempts: 1 })).toBe(false);
    expect(canRetry({ state: "refused" })).toBe(true);
    expect(canRetry({ state: "sent" })).toBe(false);
    expect(connectionKey("offline")).toBe("sync.connection.offline");
    expect(connectionKey(undefined)).toBe("sync.connection.starting");
  });
});
