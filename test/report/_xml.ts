/**
 * A strict little XML reader for tests: elements, attributes, character data, the five named
 * entities and numeric references; throws on anything not well-formed (unclosed or crossed
 * tags, unquoted or duplicate attributes, a raw `<` or `&` in text, characters XML 1.0 forbids).
 * Enough to check that JUnit output parses and to count what is in it.
 */

/** One element. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`raw < or & in ${where}: ${raw}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(raw)) throw new Error(`character not allowed in XML 1.0 in ${where}`);
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]!,
  );
}

/**
 * Parses an XML document (an optional declaration, then one root element).
 * @param text - the document
 * @returns the root element
 */
export function parseXml(text: string): XmlElement {
  let rest = text.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const chunk = lt < 0 ? rest : rest.slice(0, lt);
    if (chunk !== '') {
      const top = stack.at(-1);
      if (top === undefined) {
        if (chunk.trim() !== '') throw new Error(`text outside the root element: ${chunk}`);
      } else top.text += decode(chunk, `<${top.name}>`);
    }
    if (lt < 0) break;
    rest = rest.slice(lt);
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(rest);
    if (close) {
      const top = stack.pop();
      if (top?.name !== close[1]) throw new Error(`</${close[1]}> closes <${top?.name ?? 'nothing'}>`);
      rest = rest.slice(close[0].length);
      continue;
    }
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"]*")*)\s*(\/?)>/.exec(rest);
    if (!open) throw new Error(`not well-formed at: ${rest.slice(0, 60)}`);
    const attrs: Record<string, string> = {};
    for (const m of open[2]!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) {
      if (Object.hasOwn(attrs, m[1]!)) throw new Error(`duplicate attribute ${m[1]}`);
      attrs[m[1]!] = decode(m[2]!, `${open[1]}@${m[1]}`);
    }
    const el: XmlElement = { name: open[1]!, attrs, children: [], text: '' };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else if (root === undefined) root = el;
    else throw new Error('a second root element');
    if (open[3] !== '/') stack.push(el);
    rest = rest.slice(open[0].length);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/**
 * Every descendant element with a name.
 * @param el - where to search
 * @param name - the element name
 * @returns the elements in document order
 */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}
