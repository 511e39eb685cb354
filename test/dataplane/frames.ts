/** Test frames: Ethernet + IPv4 + UDP with a chosen source port; payload byte 0 (offset 42) is free for tests. */
export const PAYLOAD_OFFSET = 42;

export function udpFrame(srcPort: number, payload: readonly number[] = [], len = 64): Uint8Array {
  const f = new Uint8Array(Math.max(len, PAYLOAD_OFFSET + payload.length));
  f.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, f.length - 14, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([srcPort >> 8, srcPort & 0xff, 0x12, 0xb5, 0, f.length - 34, 0, 0], 34);
  f.set(payload, PAYLOAD_OFFSET);
  return f;
}
