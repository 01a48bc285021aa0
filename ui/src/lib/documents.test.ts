import { describe, expect, it } from "vitest";
import type { DocumentDto } from "./bindings";
import { batchPercent, humanSize, mergeDocuments, newBatchId } from "./documents";

const doc = (path: string, pages = 1): DocumentDto => ({
  path,
  name: path.split("/").pop() ?? path,
  sizeBytes: 10,
  pages,
  signatures: 0,
  awaitingNumber: false,
  encrypted: false,
});

describe("documents of a screen", () => {
  it("adds new paths and replaces the description of known ones", () => {
    const merged = mergeDocuments([doc("/a.pdf"), doc("/b.pdf")], [doc("/b.pdf", 7), doc("/c.pdf")]);
    expect(merged.map((d) => d.path)).toEqual(["/a.pdf", "/b.pdf", "/c.pdf"]);
    expect(merged[1]?.pages).toBe(7);
  });

  it("words sizes", () => {
    expect(humanSize(512)).toBe("512 B");
    expect(humanSize(2048)).toBe("2 KB");
    expect(humanSize(5 * 1024 * 1024)).toBe("5.0 MB");
  });

  it("counts a batch done by signed, failed and cancelled files", () => {
    expect(batchPercent([])).toBe(0);
    expect(batchPercent(["signed", "failed", "signing", "waiting"])).toBe(50);
    expect(batchPercent(["signed", "cancelled"])).toBe(100);
  });

  it("makes distinct batch ids", () => {
    expect(newBatchId(1)).not.toBe(newBatchId(1));
  });
});
