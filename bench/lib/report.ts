export interface Bar {
  label: string;
  value: number;
  /** Text after the value, e.g. "1.00×". */
  note?: string;
}

export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bar panels, stacked, as a standalone SVG (no dependencies, renders on GitHub). */
export function barChartSvg(title: string, panels: Panel[]): string {
  const width = 760;
  const labelWidth = 250;
  const barArea = width - labelWidth - 170;
  const rowHeight = 26;
  let y = 40;
  const parts: string[] = [`<text x="16" y="26" font-size="16" font-weight="bold">${escape(title)}</text>`];
  for (const panel of panels) {
    parts.push(`<text x="16" y="${y + 16}" font-size="13" font-weight="bold">${escape(panel.title)}</text>`);
    y += 26;
    const max = Math.max(...panel.bars.map((bar) => bar.value), 1e-9);
    for (const bar of panel.bars) {
      const length = Math.max(1, (bar.value / max) * barArea);
      const value = `${bar.value >= 100 ? Math.round(bar.value).toLocaleString('en-US') : bar.value} ${panel.unit}`;
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${rowHeight - 8}" fill="#4e79a7"/>`,
        `<text x="${labelWidth + length + 6}" y="${y + 15}" font-size="12">${escape(value)}${bar.note ? ` · ${escape(bar.note)}` : ''}</text>`,
      );
      y += rowHeight;
    }
    y += 14;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
