import { describe, expect, it } from "vitest";
import type { BoxDto } from "./bindings";
import { MIN_SIDE, clampBox, moved, nudged, onPage, resized, toScreen } from "./boxes";

const A4: BoxDto = { page: 1, x: 300, y: 600, width: 200, height: 100, pageWidth: 595, pageHeight: 842 };

describe("the signature box on the preview", () => {
  it("is drawn at scale from the page's top left", () => {
    expect(toScreen(A4, 1.5)).toEqual({ left: 450, top: 900, width: 300, height: 150 });
  });

  it("moves by screen pixels divided by the scale, and never leaves the page", () => {
    expect(moved(A4, 30, -15, 1.5)).toMatchObject({ x: 320, y: 590 });
    expect(moved(A4, 10_000, 10_000, 1)).toMatchObject({ x: 395, y: 742 });
    expect(moved(A4, -10_000, -10_000, 1)).toMatchObject({ x: 0, y: 0 });
  });

  it("resizes from its corner, not below the smallest side nor past the page", () => {
    expect(resized(A4, 20, 10, 2)).toMatchObject({ width: 210, height: 105 });
    expect(resized(A4, -10_000, -10_000, 1)).toMatchObject({ width: MIN_SIDE, height: MIN_SIDE });
    expect(resized(A4, 10_000, 10_000, 1)).toMatchObject({ width: 295, height: 242 });
  });

  it("stays inside a smaller page when moved to it", () => {
    const small = onPage(A4, 2, 300, 400);
    expect(small).toMatchObject({ page: 2, x: 100, y: 300, width: 200, height: 100 });
    expect(clampBox({ ...A4, width: 900 })).toMatchObject({ x: 0, width: 595 });
  });

  it("answers the arrow keys, and nothing else", () => {
    expect(nudged(A4, "ArrowRight", false)).toMatchObject({ x: 305 });
    expect(nudged(A4, "ArrowDown", true)).toMatchObject({ height: 105, y: 600 });
    expect(nudged(A4, "Enter", false)).toBeNull();
  });
});
