/**
 * `multipart/form-data` bodies (the OpenAI image edits endpoint) for both transports: parsed
 * by the platform's own `Response.formData()` (undici, built into Node), turned into the
 * transport-neutral {@link FormFields} the core reads. File bytes are dropped once measured:
 * the mock providers price and journal an upload by its name, type and size.
 */
import type { FormFields, LiveFile } from './protocol.js';

/**
 * @param contentType - the request's `content-type`
 * @returns whether the body is `multipart/form-data`
 */
export function isMultipart(contentType: string | undefined): boolean {
  return contentType !== undefined && /^multipart\/form-data\s*;/i.test(contentType);
}

/**
 * Converts parsed form data into {@link FormFields}.
 * @param form - the parsed body
 * @returns the fields by name
 */
export function formFields(form: FormData): FormFields {
  const out: FormFields = {};
  form.forEach((value, name) => {
    const field: string | LiveFile = typeof value === 'string' ? value : { file: true, name: value.name, type: value.type, size: value.size };
    const prev = out[name];
    if (prev === undefined) out[name] = field;
    else if (Array.isArray(prev)) prev.push(field);
    else out[name] = [prev, field];
  });
  return out;
}

/**
 * Parses a multipart body.
 * @param body - the raw bytes
 * @param contentType - its `content-type`, boundary included
 * @returns the fields, or undefined when the body is not valid multipart
 */
export async function parseMultipart(body: Uint8Array, contentType: string): Promise<FormFields | undefined> {
  try {
    // undici flags formData() for servers because it buffers the whole body; both transports
    // have already read it, at most 10 MB, so nothing is buffered that was not already.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    return formFields(await new Response(body, { headers: { 'content-type': contentType } }).formData());
  } catch {
    return undefined;
  }
}
