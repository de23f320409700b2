import { GGUF_MAGIC, GGUF_TYPE } from './gguf.format';

export interface GgufTensorInfo {
  name: string;
  /** ggml order: row length first. */
  dims: number[];
  type: number;
  /** Offset of the data from the start of the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Record<string, unknown>;
  tensors: GgufTensorInfo[];
  /** Where tensor data starts in the file. */
  dataOffset: number;
}

const TYPE_NAMES = Object.fromEntries(Object.entries(GGUF_TYPE).map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * Parses a GGUF file's header, metadata and tensor infos (not the tensor data). Arrays of
 * numbers come back as number arrays, 64-bit integers as numbers when they fit.
 */
export function readGgufHeader(buf: Buffer): GgufHeader {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new Error(`GGUF truncated at byte ${pos}`);
  };
  const u32 = () => (need(4), (pos += 4), buf.readUInt32LE(pos - 4));
  const u64 = () => {
    need(8);
    pos += 8;
    const v = buf.readBigUInt64LE(pos - 8);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const str = () => {
    const len = Number(u64());
    need(len);
    pos += len;
    return buf.toString('utf8', pos - len, pos);
  };
  const value = (type: number): unknown => {
    switch (TYPE_NAMES[type]) {
      case 'uint8':
        return need(1), (pos += 1), buf.readUInt8(pos - 1);
      case 'int8':
        return need(1), (pos += 1), buf.readInt8(pos - 1);
      case 'uint16':
        return need(2), (pos += 2), buf.readUInt16LE(pos - 2);
      case 'int16':
        return need(2), (pos += 2), buf.readInt16LE(pos - 2);
      case 'uint32':
        return u32();
      case 'int32':
        return need(4), (pos += 4), buf.readInt32LE(pos - 4);
      case 'float32':
        return need(4), (pos += 4), buf.readFloatLE(pos - 4);
      case 'bool':
        return need(1), (pos += 1), buf.readUInt8(pos - 1) !== 0;
      case 'string':
        return str();
      case 'uint64':
        return u64();
      case 'int64':
        return need(8), (pos += 8), buf.readBigInt64LE(pos - 8);
      case 'float64':
        return need(8), (pos += 8), buf.readDoubleLE(pos - 8);
      case 'array': {
        const itemType = u32();
        const n = Number(u64());
        return Array.from({ length: n }, () => value(itemType));
      }
      default:
        throw new Error(`GGUF: unknown value type ${type} at byte ${pos}`);
    }
  };

  need(4);
  if (buf.toString('latin1', 0, 4) !== GGUF_MAGIC) throw new Error('not a GGUF file (bad magic)');
  pos = 4;
  const version = u32();
  const tensorCount = Number(u64());
  const metaCount = Number(u64());
  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < metaCount; i++) {
    const key = str();
    metadata[key] = value(u32());
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const nDims = u32();
    const dims = Array.from({ length: nDims }, () => Number(u64()));
    const type = u32();
    const offset = Number(u64());
    tensors.push({ name, dims, type, offset });
  }
  const alignment = typeof metadata['general.alignment'] === 'number' ? metadata['general.alignment'] : 32;
  const dataOffset = Math.ceil(pos / alignment) * alignment;
  return { version, metadata, tensors, dataOffset };
}
