/** The capture module's public surface: readers, the stream, writers, types and errors. */
export { LinkType, linkTypeName, type Capture, type CapturedFrame, type CaptureInterface } from './capture-types.js';
export { CaptureFormatError, UnsupportedLinkTypeError } from './capture-errors.js';
export { readCapture, requireEthernet, sniffCaptureFormat, type CaptureFormat } from './read-capture.js';
export { readPcap } from './pcap-reader.js';
export { readPcapng } from './pcapng-reader.js';
export { openCaptureStream, type CaptureStream } from './pcap-stream.js';
export {
  PcapWriter, MemorySink, FileSink, encodePcap, type PcapSink, type PcapWriterOptions, type FrameToWrite,
} from './pcap-writer.js';
export { encodePcapng, type PcapngInterface, type PcapngPacket, type PcapngSection } from './pcapng-writer.js';
export type { PcapPrecision, ByteOrder } from './pcap-format.js';
