// A small hand-written SVG: time per review against body size, log-log, with a linear guide.
export function scalingSvg(points) {
  const width = 640;
  const height = 400;
  const pad = { left: 70, right: 20, top: 30, bottom: 50 };
  const xs = points.map((p) => Math.log10(p.bytes));
  const ys = points.map((p) => Math.log10(p.medianMs));
  const [x0, x1] = [Math.floor(Math.min(...xs)), Math.ceil(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  const sx = (v) => pad.left + ((v - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (v) => height - pad.bottom - ((v - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const line = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(xs[i]).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(' ');
  // Linear growth through the largest point: time proportional to size.
  const last = points[points.length - 1];
  const guide = [x0, x1].map((x, i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(Math.log10(last.medianMs) + (x - Math.log10(last.bytes))).toFixed(1)}`).join(' ');
  const ticks = [];
  for (let x = x0; x <= x1; x++) ticks.push(`<text x="${sx(x)}" y="${height - pad.bottom + 18}" text-anchor="middle" font-size="12">${x >= 6 ? `${10 ** (x - 6)} MB` : x >= 3 ? `${10 ** (x - 3)} KB` : `${10 ** x} B`}</text><line x1="${sx(x)}" y1="${pad.top}" x2="${sx(x)}" y2="${height - pad.bottom}" stroke="#eee"/>`);
  for (let y = y0; y <= y1; y++) ticks.push(`<text x="${pad.left - 8}" y="${sy(y) + 4}" text-anchor="end" font-size="12">${10 ** y} ms</text><line x1="${pad.left}" y1="${sy(y)}" x2="${width - pad.right}" y2="${sy(y)}" stroke="#eee"/>`);
  const dots = points.map((p, i) => `<circle cx="${sx(xs[i]).toFixed(1)}" cy="${sy(ys[i]).toFixed(1)}" r="3.5" fill="#1f6feb"><title>${p.envCount} env vars, ${p.bytes} bytes: ${p.medianMs.toFixed(3)} ms</title></circle>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">Time per review against review size (median, log-log)</text>
${ticks.join('\n')}
<path d="${guide}" stroke="#999" stroke-dasharray="5,4" fill="none"/>
<path d="${line}" stroke="#1f6feb" stroke-width="2" fill="none"/>
${dots}
<text x="${width / 2}" y="${height - 12}" text-anchor="middle" font-size="12">AdmissionReview body size</text>
<text x="${width - pad.right}" y="${pad.top + 14}" text-anchor="end" font-size="11" fill="#666">dashed: linear growth</text>
</svg>
`;
}
