import { describe, expect, it } from "vitest";
import { readDate, showDate } from "./dates";

describe("dates as offices write them", () => {
  it("shows yyyy-mm-dd as dd/mm/yyyy, and other text as typed", () => {
    expect(showDate("2026-12-07")).toBe("07/12/2026");
    expect(showDate("7/1")).toBe("7/1");
    expect(showDate("")).toBe("");
  });

  it("reads day first, with any usual separator, and ISO dates", () => {
    expect(readDate("7/12/2026")).toBe("2026-12-07");
    expect(readDate(" 07-12-2026 ")).toBe("2026-12-07");
    expect(readDate("7.1.2027")).toBe("2027-01-07");
    expect(readDate("2026-12-07")).toBe("2026-12-07");
  });

  it("refuses what is not a day of the calendar", () => {
    expect(readDate("31/02/2026")).toBeNull();
    expect(readDate("29/02/2027")).toBeNull();
    expect(readDate("29/02/2028")).toBe("2028-02-29");
    expect(readDate("12/13/2026")).toBeNull();
    expect(readDate("7/12/26")).toBeNull();
    expect(readDate("hôm nay")).toBeNull();
  });

  it("round-trips", () => {
    expect(readDate(showDate("2026-03-04"))).toBe("2026-03-04");
  });
});
