/**
 * A small XML well-formedness check for the chart test (no XML parser dependency): one root element, tags
 * balanced and properly nested, attribute values quoted, no duplicate attributes, text and attribute values
 * free of raw '<' and of '&' other than the predefined entities and character references (XML 1.0 §2.1, §3.1).
 * Returns the problems found (empty when well formed) and the element names in document order.
 */
const NAME = /^[A-Za-z_:][\w.:-]*$/;
const ENTITY = /&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

export function checkXml(doc: string): { problems: string[]; elements: string[] } {
  const problems: string[] = [];
  const elements: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  let body = doc;
  const decl = /^<\?xml [^?]*\?>/.exec(body);
  if (decl) { body = body.slice(decl[0].length); }
  const text = (t: string, at: number): void => {
    if (ENTITY.test(t)) problems.push(`bare '&' in text at ${at}`);
    if (stack.length === 0 && t.trim() !== '') problems.push(`text outside the root element at ${at}`);
  };
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    if (lt < 0) { text(body.slice(i), i); break; }
    text(body.slice(i, lt), i);
    const gt = body.indexOf('>', lt);
    if (gt < 0) { problems.push(`unterminated tag at ${lt}`); break; }
    const tag = body.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}> at ${lt}`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const inner = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([^\s]+)([\s\S]*)$/.exec(inner);
    const name = m?.[1] ?? '';
    if (!NAME.test(name)) { problems.push(`bad element name '${name}' at ${lt}`); continue; }
    if (stack.length === 0) roots++;
    elements.push(name);
    const seen = new Set<string>();
    let rest = (m?.[2] ?? '').trim();
    while (rest.length > 0) {
      const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')\s*/.exec(rest);
      if (!a) { problems.push(`bad attribute syntax in <${name}> at ${lt}: ${rest.slice(0, 30)}`); break; }
      if (seen.has(a[1]!)) problems.push(`duplicate attribute ${a[1]} in <${name}> at ${lt}`);
      seen.add(a[1]!);
      if (ENTITY.test(a[3] ?? a[4] ?? '')) problems.push(`bare '&' in attribute ${a[1]} at ${lt}`);
      rest = rest.slice(a[0].length);
    }
    if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) problems.push(`unclosed elements: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return { problems, elements };
}
