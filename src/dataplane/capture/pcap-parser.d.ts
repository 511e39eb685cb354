// Ambient types for the `pcap-parser` npm package (0.2.1, CommonJS, untyped): what pcap-stream.ts uses.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface PcapGlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PcapPacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface PcapPacket {
    header: PcapPacketHeader;
    data: Buffer;
  }

  export interface PcapParser extends EventEmitter {
    /** Bytes received but not yet parsed (a partial record at end of input means truncation). */
    buffer: Buffer | null;
    on(event: 'globalHeader', listener: (header: PcapGlobalHeader) => void): this;
    on(event: 'packetHeader', listener: (header: PcapPacketHeader) => void): this;
    on(event: 'packet', listener: (packet: PcapPacket) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }

  export function parse(input: Readable | string): PcapParser;
  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}
