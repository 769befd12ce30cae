/**
 * One image-generation request as the models, strategies and engine see it.
 */
/** Request urgency classes; SLOs are set per class. */
export const URGENCIES = ['interactive', 'batch'] as const;
/** An urgency class. */
export type Urgency = (typeof URGENCIES)[number];

/** Features a request may ask for and a provider may support or surcharge. */
export const FEATURES = ['inpainting', 'outpainting', 'lora', 'controlnet', 'ip-adapter'] as const;
/** A feature name. */
export type Feature = (typeof FEATURES)[number];

/** A request for one image. Synthetic traffic, traces and live HTTP all produce this shape. */
export interface ImageRequest {
  /** Sequence number within a run; the key of its common random numbers. */
  readonly id: number;
  /** Intended arrival time, epoch ms (latency is measured from here). */
  readonly arrivalMs: number;
  /** Mix class name, or `trace` for replayed rows. */
  readonly className: string;
  /** Size as written, `WxH`. */
  readonly size: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  /** Quality name (`standard`, `hd`, `low`...), when the request names one. */
  readonly quality?: string;
  readonly features: readonly Feature[];
  /** Also pay for a vision-model validation of the image. */
  readonly validate: boolean;
  readonly urgency: Urgency;
  /** Deadline as epoch ms, for batch work. */
  readonly deadlineMs?: number;
  readonly project: string;
  /** Length of the prompt in characters (per-token pricing counts ⌈chars/4⌉ tokens). */
  readonly promptChars: number;
  /** The prompt itself, when one is kept (traces, live mode); synthetic traffic may omit it. */
  readonly prompt?: string;
  /** Latency lane the request asks for; strategies may override. */
  readonly tier?: string;
}

/** Prompt tokens as per-token pricing counts them: ⌈chars / 4⌉. */
export function promptTokens(promptChars: number): number {
  return Math.ceil(promptChars / 4);
}
