/**
 * Faker's draws without Faker (src/traffic/words.ts): the same integers and words as
 * @faker-js/faker with its English locale, for any seed and any order of calls, and the same word
 * lists. Synthetic prompts, their lengths and so every report depend on it.
 */
import { Faker, en } from '@faker-js/faker';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EN_WORDS, WordDraws } from '../../src/traffic/words.js';

/** One call, as both sides make it. */
type Call = { readonly kind: 'int'; readonly min: number; readonly max: number } | { readonly kind: 'adjective' | 'noun' | 'preposition' };

const call = fc.oneof(
  fc.record({ kind: fc.constant('int' as const), min: fc.integer({ min: 0, max: 60 }), span: fc.integer({ min: 0, max: 2_000 }) }).map(({ min, span }) => ({ kind: 'int' as const, min, max: min + span })),
  fc.constantFrom<Call>({ kind: 'adjective' }, { kind: 'noun' }, { kind: 'preposition' }),
);

function byFaker(faker: Faker, c: Call): string | number {
  if (c.kind === 'int') return faker.number.int({ min: c.min, max: c.max });
  return c.kind === 'adjective' ? faker.word.adjective() : c.kind === 'noun' ? faker.word.noun() : faker.word.preposition();
}

function byWords(words: WordDraws, c: Call): string | number {
  if (c.kind === 'int') return words.int(c.min, c.max);
  return c.kind === 'adjective' ? words.adjective() : c.kind === 'noun' ? words.noun() : words.preposition();
}

describe('WordDraws', () => {
  it("draws what a seeded en Faker draws, call for call (past the twister's 624 words too)", () => {
    fc.assert(
      // 300+ calls: a call draws two of the twister's 624 words, so every run passes a twist.
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(call, { minLength: 300, maxLength: 1_000, size: 'max' }), (seed, calls) => {
        const faker = new Faker({ locale: [en] });
        faker.seed(seed);
        const words = new WordDraws(seed);
        for (const c of calls) expect(byWords(words, c)).toBe(byFaker(faker, c));
      }),
      { numRuns: 40 },
    );
  });

  it('has the en word lists of @faker-js/faker, in its order', () => {
    expect(EN_WORDS.adjective).toEqual(en.word!.adjective);
    expect(EN_WORDS.noun).toEqual(en.word!.noun);
    expect(EN_WORDS.preposition).toEqual(en.word!.preposition);
  });

  it('makes no draw for an integer range of one value, as Faker does', () => {
    const faker = new Faker({ locale: [en] });
    faker.seed(42);
    const words = new WordDraws(42);
    expect(words.int(8, 8)).toBe(faker.number.int({ min: 8, max: 8 }));
    expect(words.noun()).toBe(faker.word.noun());
  });
});
