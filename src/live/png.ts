/**
 * The image live mode returns: a tiny valid PNG (8×8 RGB) whose colours come from a hash of
 * the prompt, so the same prompt always gets the same bytes. The image id is that hash, and
 * the colours are read back from the id, so `GET /_imgsim/images/<id>.png` needs no store.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** Width and height of every image, px (small enough to build per request, big enough to see). */
export const PNG_SIDE_PX = 8;

/** Images kept built; beyond this the oldest is dropped (it is rebuilt from its id on demand). */
const CACHE_SIZE = 1024;

/** An image id: 16 lower-case hex digits of the prompt's SHA-256. */
const ID_RE = /^[0-9a-f]{16}$/;

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) lookup table, as the PNG spec gives it. */
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb8_8320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of bytes, as PNG chunks carry it.
 * @param bytes - input
 * @returns unsigned 32-bit CRC
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffff_ffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffff_ffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  // The CRC covers the type and the data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an 8-bit RGB image as PNG: a diagonal blend from one colour to another.
 * @param side - width and height, px
 * @param from - RGB at the top-left corner
 * @param to - RGB at the bottom-right corner
 * @returns the PNG file bytes
 */
export function encodePng(side: number, from: readonly [number, number, number], to: readonly [number, number, number]): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, side);
  view.setUint32(4, side);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour (RGB)
  // compression, filter and interlace methods stay 0
  const rowBytes = 1 + side * 3;
  const raw = new Uint8Array(rowBytes * side);
  const span = Math.max(1, 2 * (side - 1));
  for (let y = 0; y < side; y++) {
    raw[y * rowBytes] = 0; // filter type None
    for (let x = 0; x < side; x++) {
      const t = (x + y) / span;
      const at = y * rowBytes + 1 + x * 3;
      for (let c = 0; c < 3; c++) raw[at + c] = Math.round(from[c]! + (to[c]! - from[c]!) * t);
    }
  }
  const parts = [PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const cache = new Map<string, Uint8Array>();

/**
 * The image id of a prompt: 16 hex digits of its SHA-256.
 * @param prompt - the prompt
 * @returns the id
 */
export function imageIdFor(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex').slice(0, 16);
}

/**
 * The PNG of an image id (built once, then cached): colours from the id's first 12 hex digits.
 * @param id - an id from {@link imageIdFor}
 * @returns the PNG bytes, or undefined when `id` is not an image id
 */
export function pngById(id: string): Uint8Array | undefined {
  if (!ID_RE.test(id)) return undefined;
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  const byte = (i: number): number => parseInt(id.slice(2 * i, 2 * i + 2), 16);
  const png = encodePng(PNG_SIDE_PX, [byte(0), byte(1), byte(2)], [byte(3), byte(4), byte(5)]);
  if (cache.size >= CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(id, png);
  return png;
}

/** An image as the answers use it. */
export interface PromptImage {
  readonly id: string;
  readonly bytes: Uint8Array;
  /** The PNG bytes as base64 (`b64_json`). */
  readonly base64: string;
}

/** Images by prompt, so a repeated prompt costs one map lookup (no hash, no encoding). */
const byPrompt = new Map<string, PromptImage>();

/**
 * The image of a prompt (cached per prompt).
 * @param prompt - the prompt
 * @returns its id, PNG bytes and their base64
 */
export function pngForPrompt(prompt: string): PromptImage {
  const cached = byPrompt.get(prompt);
  if (cached !== undefined) return cached;
  const id = imageIdFor(prompt);
  const bytes = pngById(id)!;
  const image: PromptImage = { id, bytes, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  if (byPrompt.size >= CACHE_SIZE) {
    const oldest = byPrompt.keys().next().value;
    if (oldest !== undefined) byPrompt.delete(oldest);
  }
  byPrompt.set(prompt, image);
  return image;
}
