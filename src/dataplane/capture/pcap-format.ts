/**
 * Classic libpcap file format constants (draft-ietf-opsawg-pcap §4-5), shared by reader, writer and stream:
 *
 *   file header (24 bytes)                 record header (16 bytes) + incl_len bytes of data
 *   +0  u32 magic                          +0  u32 ts_sec
 *   +4  u16 version_major (2)              +4  u32 ts_usec or ts_nsec (by magic)
 *   +6  u16 version_minor (4)              +8  u32 incl_len   (captured)
 *   +8  i32 thiszone (0)                   +12 u32 orig_len   (on the wire)
 *   +12 u32 sigfigs (0)
 *   +16 u32 snaplen
 *   +20 u32 linktype (low 26 bits; upper bits: FCS length flags)
 *
 * Byte order is the writer's, detected from how the magic reads.
 */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's MAXIMUM_SNAPLEN: larger records are refused as corrupt rather than allocated. */
export const PCAP_MAX_RECORD_LEN = 262144;
/** LT_LINKTYPE(): the link type is the low 26 bits of the header field. */
export const PCAP_LINKTYPE_MASK = 0x03ffffff;

export type PcapPrecision = 'us' | 'ns';
export type ByteOrder = 'le' | 'be';
