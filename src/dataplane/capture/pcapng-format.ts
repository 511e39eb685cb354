/**
 * pcapng block layout (draft-ietf-opsawg-pcapng §3-4), shared by reader and writer. Every block:
 *
 *   +0  u32 block type
 *   +4  u32 block total length (multiple of 4, ≥ 12, counts the whole block)
 *   +8  body ... options (u16 code, u16 length, value padded to 4; ended by code 0)
 *   +N-4 u32 block total length again
 *
 * The Section Header Block's type reads the same in both byte orders; its byte-order magic (body +0)
 * says which order the whole section uses.
 */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block (pcapng's predecessor of EPB), still read by libpcap. */
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const BLOCK_MIN_LEN = 12;

export const OptionCode = {
  END: 0,
  COMMENT: 1,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

/** Default if_tsresol: 10^-6 s. */
export const DEFAULT_TSRESOL = 6;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}
