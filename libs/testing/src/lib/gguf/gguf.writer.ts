import { GGML_TYPE_F32, GGUF_MAGIC, GGUF_TYPE, GGUF_VERSION, type GgufScalarType, type GgufValue } from './gguf.format';

/** One F32 tensor: `dims` in ggml order (row length first). */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/** Grows a buffer as values are appended, little-endian as GGUF requires. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  scalar(type: GgufScalarType, v: number | bigint | boolean | string): void {
    const n = 8;
    this.reserve(n);
    switch (type) {
      case 'uint8':
        return this.u8(Number(v));
      case 'int8':
        this.buf.writeInt8(Number(v), this.length);
        this.length += 1;
        return;
      case 'uint16':
        this.buf.writeUInt16LE(Number(v), this.length);
        this.length += 2;
        return;
      case 'int16':
        this.buf.writeInt16LE(Number(v), this.length);
        this.length += 2;
        return;
      case 'uint32':
        return this.u32(Number(v));
      case 'int32':
        this.buf.writeInt32LE(Number(v), this.length);
        this.length += 4;
        return;
      case 'float32':
        this.buf.writeFloatLE(Number(v), this.length);
        this.length += 4;
        return;
      case 'bool':
        return this.u8(v ? 1 : 0);
      case 'string':
        return this.string(String(v));
      case 'uint64':
        return this.u64(BigInt(v));
      case 'int64':
        this.buf.writeBigInt64LE(BigInt(v), this.length);
        this.length += 8;
        return;
      case 'float64':
        this.buf.writeDoubleLE(Number(v), this.length);
        this.length += 8;
        return;
    }
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Encodes a GGUF v3 file: header, metadata, tensor infos, then the tensor data, each
 * tensor aligned to `alignment` (which is also written as `general.alignment`).
 */
export function encodeGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[], alignment = 32): Buffer {
  const out = new ByteSink();
  const meta = new Map(metadata);
  meta.set('general.alignment', { type: 'uint32', value: alignment });
  out.bytes(Buffer.from(GGUF_MAGIC, 'latin1'));
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(meta.size);
  for (const [key, value] of meta) {
    out.string(key);
    if (value.type === 'array') {
      out.u32(GGUF_TYPE.array);
      out.u32(GGUF_TYPE[value.itemType]);
      out.u64(value.items.length);
      for (const item of value.items) out.scalar(value.itemType, item);
    } else {
      out.u32(GGUF_TYPE[value.type]);
      out.scalar(value.type, value.value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const expected = t.dims.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new Error(`tensor ${t.name}: dims give ${expected} values, data has ${t.data.length}`);
    offsets.push(offset);
    offset += Math.ceil(t.data.byteLength / alignment) * alignment;
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_TYPE_F32);
    out.u64(offsets[offsets.length - 1]!);
  }
  out.padTo(alignment);
  for (const t of tensors) {
    out.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.padTo(alignment);
  }
  return out.result();
}
