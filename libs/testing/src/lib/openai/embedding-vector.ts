/** A deterministic unit vector for a text: same text, same vector; similar prefixes do not collide. */
export function embeddingVector(text: string, dimensions: number): number[] {
  const out: number[] = [];
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  for (let d = 0; d < dimensions; d++) {
    h = Math.imul(h ^ (d + 1), 2654435761) >>> 0;
    h ^= h >>> 15;
    out.push((h % 2001) / 1000 - 1);
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => Math.fround(v / norm));
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64-encoded. */
export function toBase64Floats(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}
