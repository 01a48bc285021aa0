// pdf.js over a chosen document, read by ranges through the app (no file:// URL, no remote
// content): the first page of a 2000-page file shows after reading its first chunks and the
// pages it needs, not the whole file. The worker is bundled and loads from the app's origin.
import * as pdfjs from "pdfjs-dist";
import workerUrl from "pdfjs-dist/build/pdf.worker.min.mjs?url";
import { documentRange } from "./api";

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

/** The size of the reads pdf.js asks the app for. */
const CHUNK = 256 * 1024;

class AppRangeTransport extends pdfjs.PDFDataRangeTransport {
  constructor(
    private readonly path: string,
    length: number,
    initial: Uint8Array,
  ) {
    super(length, initial);
  }

  override requestDataRange(begin: number, end: number): void {
    documentRange(this.path, begin, end)
      .then((chunk) => this.onDataRange(begin, chunk))
      .catch(() => {
        // The loading task fails on the missing range and the preview says so.
      });
  }
}

/** Files up to this size are read in one piece: one round trip instead of several. */
const WHOLE_FILE = 8 * 1024 * 1024;

/**
 * Opens a chosen document of `size` bytes for rendering: read whole when small, else by
 * ranges (the first page of a 50 MB scan shows without reading the rest).
 */
export async function openPdf(path: string, size: number): Promise<pdfjs.PDFDocumentProxy> {
  const options = { disableAutoFetch: true, disableStream: true, enableXfa: false };
  if (size <= WHOLE_FILE) {
    return pdfjs.getDocument({ ...options, data: await documentRange(path, 0, size) }).promise;
  }
  const initial = await documentRange(path, 0, CHUNK);
  const transport = new AppRangeTransport(path, size, initial);
  return pdfjs.getDocument({ ...options, range: transport, rangeChunkSize: CHUNK }).promise;
}

/** Renders page `n` (from 1) at `scale` into the canvas; the displayed size in points. */
export async function renderPage(
  doc: pdfjs.PDFDocumentProxy,
  n: number,
  scale: number,
  canvas: HTMLCanvasElement,
): Promise<{ width: number; height: number }> {
  const page = await doc.getPage(n);
  const unit = page.getViewport({ scale: 1 });
  const ratio = globalThis.devicePixelRatio || 1;
  const viewport = page.getViewport({ scale: scale * ratio });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(unit.width * scale)}px`;
  canvas.style.height = `${Math.floor(unit.height * scale)}px`;
  await page.render({ canvas, viewport }).promise;
  return { width: unit.width, height: unit.height };
}

/** The scale at which page `n` is `width` pixels wide (at least 0.2). */
export async function fitScale(doc: pdfjs.PDFDocumentProxy, n: number, width: number): Promise<number> {
  const page = await doc.getPage(n);
  return Math.max(0.2, width / page.getViewport({ scale: 1 }).width);
}

export type PdfDocument = pdfjs.PDFDocumentProxy;
