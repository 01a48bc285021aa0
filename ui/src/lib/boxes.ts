// The signature box on the preview: pure geometry, no DOM, unit-tested. A box is the core's
// `DisplayedBox` (points, from the displayed page's top left, after /Rotate and the CropBox),
// the same frame pdf.js renders a page in; the core turns it into PDF space when signing.
import type { BoxDto } from "./bindings";

/** The smallest box a drag may leave, in points (about 7 mm). */
export const MIN_SIDE = 20;

export interface ScreenRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Where the box is drawn over a page rendered at `scale` pixels per point. */
export function toScreen(box: BoxDto, scale: number): ScreenRect {
  return { left: box.x * scale, top: box.y * scale, width: box.width * scale, height: box.height * scale };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}

/** The box kept whole inside its page, no side under MIN_SIDE (or the page's side). */
export function clampBox(box: BoxDto): BoxDto {
  const width = clamp(box.width, Math.min(MIN_SIDE, box.pageWidth), box.pageWidth);
  const height = clamp(box.height, Math.min(MIN_SIDE, box.pageHeight), box.pageHeight);
  return {
    ...box,
    width,
    height,
    x: clamp(box.x, 0, box.pageWidth - width),
    y: clamp(box.y, 0, box.pageHeight - height),
  };
}

/** The box dragged by (dx, dy) screen pixels at `scale`. */
export function moved(box: BoxDto, dx: number, dy: number, scale: number): BoxDto {
  return clampBox({ ...box, x: box.x + dx / scale, y: box.y + dy / scale });
}

/** The box resized from its bottom-right corner by (dx, dy) screen pixels at `scale`. */
export function resized(box: BoxDto, dx: number, dy: number, scale: number): BoxDto {
  const width = clamp(box.width + dx / scale, Math.min(MIN_SIDE, box.pageWidth), box.pageWidth - box.x);
  const height = clamp(box.height + dy / scale, Math.min(MIN_SIDE, box.pageHeight), box.pageHeight - box.y);
  return { ...box, width, height };
}

/** The box moved to another page of the given displayed size, kept at the same place. */
export function onPage(box: BoxDto, page: number, pageWidth: number, pageHeight: number): BoxDto {
  return clampBox({ ...box, page, pageWidth, pageHeight });
}

/** Keyboard nudges: arrows move by `step` points, with Shift they resize. */
export function nudged(box: BoxDto, key: string, shift: boolean, step = 5): BoxDto | null {
  const d: Record<string, [number, number]> = {
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
    ArrowUp: [0, -step],
    ArrowDown: [0, step],
  };
  const v = d[key];
  if (!v) return null;
  return shift ? resized(box, v[0], v[1], 1) : moved(box, v[0], v[1], 1);
}
