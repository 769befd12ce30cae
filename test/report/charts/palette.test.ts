import { describe, expect, it } from 'vitest';
import { lineDataset } from '../../../src/report/charts/layout.js';
import { OKABE_ITO, strategyStyle } from '../../../src/report/charts/palette.js';

describe('strategy palette', () => {
  it('gives every one of n <= 20 strategies its own look: colour first, then dash and marker together', () => {
    for (let n = 1; n <= 20; n++) {
      const styles = Array.from({ length: n }, (_, i) => strategyStyle(i));
      const keys = styles.map((s) => `${s.color}|${s.dash.join(',')}|${s.pointStyle}`);
      expect(new Set(keys).size, `n = ${n}`).toBe(n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          if (styles[i]!.color !== styles[j]!.color) continue;
          // Sharing a colour: both the dash and the marker differ.
          expect(styles[i]!.dash, `n = ${n}: ${i} and ${j}`).not.toEqual(styles[j]!.dash);
          expect(styles[i]!.pointStyle, `n = ${n}: ${i} and ${j}`).not.toBe(styles[j]!.pointStyle);
        }
      }
    }
  });

  it('uses the eight colours before any repeats, solid circles first', () => {
    expect(Array.from({ length: 8 }, (_, i) => strategyStyle(i).color)).toEqual([...OKABE_ITO]);
    expect(strategyStyle(0)).toEqual({ color: '#0072B2', pointStyle: 'circle', dash: [], marked: false });
    expect(strategyStyle(7).dash).toEqual([]);
    // The 9th and the 17th: the first colour again, dashed then dotted, other markers.
    expect(strategyStyle(8)).toEqual({ color: '#0072B2', pointStyle: 'triangle', dash: [10, 6], marked: true });
    expect(strategyStyle(16)).toEqual({ color: '#0072B2', pointStyle: 'rectRot', dash: [2, 4], marked: true });
  });

  it('draws the marker along a line only where the colour repeats: 8 marks on 64 points, at 4, 12, ..., 60', () => {
    const data = Array.from({ length: 64 }, (_, i) => ({ x: i, y: i }));
    expect(lineDataset('first', data, strategyStyle(0)).pointRadius).toBe(0);
    const radius = lineDataset('ninth', data, strategyStyle(8)).pointRadius as number[];
    expect(radius).toHaveLength(64);
    expect(radius.flatMap((r, i) => (r > 0 ? [i] : []))).toEqual([4, 12, 20, 28, 36, 44, 52, 60]);
    expect(lineDataset('ninth', data, strategyStyle(8)).pointStyle).toBe('triangle');
  });
});
