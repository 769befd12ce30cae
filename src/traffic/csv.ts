/**
 * CSV cells of one line (RFC 4180, single-line records), shared by trace replay and the
 * attempt-log reader of `imgsim fit`.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Splits one CSV line into `out` (RFC 4180, single-line records): quoted fields may hold
 * commas and doubled quotes; a quoted field must close on the same line.
 * @param line - the line without its newline
 * @param out - reused array the cells are written into
 * @returns the number of cells, or a message when the quoting is broken
 */
export function splitCsv(line: string, out: string[]): number | string {
  let i = 0;
  let n = 0;
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = ++i;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return `unterminated quoted field ${n + 1} (quoted fields must close on the same line; multi-line fields are not supported)`;
        if (line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1); // a doubled quote stands for one
          i = from = q + 2;
          continue;
        }
        value += line.slice(from, q);
        i = q + 1;
        break;
      }
      out[n++] = value;
      if (i >= line.length) return n;
      if (line.charCodeAt(i) !== COMMA) return `unexpected text after the closing quote of field ${n}; a quote inside a quoted field is written twice ("")`;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out[n++] = line.slice(i);
        return n;
      }
      out[n++] = line.slice(i, c);
      i = c + 1;
    }
  }
}
