/**
 * The two ways an object can be refused. Both carry enough context for a user to act on: a malformed
 * object names the ELF section (or region: "ELF header", "section header table") and the byte offset
 * *inside it* where parsing stopped; an unsupported one names the feature.
 */

export class ObjectFormatError extends Error {
  readonly section?: string;
  readonly byteOffset?: number;

  constructor(message: string, where: { section?: string; byteOffset?: number } = {}) {
    const at = [
      where.section !== undefined ? `section ${where.section}` : undefined,
      where.byteOffset !== undefined ? `byte offset ${where.byteOffset}` : undefined,
    ].filter((s) => s !== undefined).join(', ');
    super(at ? `${message} (${at})` : message);
    this.name = 'ObjectFormatError';
    if (where.section !== undefined) this.section = where.section;
    if (where.byteOffset !== undefined) this.byteOffset = where.byteOffset;
  }
}

export class UnsupportedFeatureError extends Error {
  readonly feature: string;

  constructor(feature: string, message: string = feature) {
    super(message);
    this.name = 'UnsupportedFeatureError';
    this.feature = feature;
  }
}
