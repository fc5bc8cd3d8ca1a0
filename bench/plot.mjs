// A small hand-written SVG: time per review against body size, log-log, one line per series,
// with dashed guides of slope 1 (time proportional to size) to compare against.
const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bc4c00', '#6e7781'];

function label(bytes) {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024) return `${bytes / 1024} KB`;
  return `${bytes} B`;
}

/**
 * `series`: [{ name, points: [{ bytes, ms }] }]. Returns the SVG document as a string.
 */
export function scalingSvg(series, title = 'Time per review against review size (medians, log-log)') {
  const width = 760;
  const height = 460;
  const pad = { left: 70, right: 230, top: 34, bottom: 50 };
  const all = series.flatMap((s) => s.points);
  const lx = (b) => Math.log2(b);
  const ly = (ms) => Math.log10(ms);
  const [x0, x1] = [Math.floor(Math.min(...all.map((p) => lx(p.bytes)))), Math.ceil(Math.max(...all.map((p) => lx(p.bytes))))];
  const [y0, y1] = [Math.floor(Math.min(...all.map((p) => ly(p.ms)))), Math.ceil(Math.max(...all.map((p) => ly(p.ms))))];
  const sx = (v) => pad.left + ((v - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (v) => height - pad.bottom - ((v - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`);
  out.push('<rect width="100%" height="100%" fill="white"/>');
  out.push(`<text x="${(pad.left + width - pad.right) / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`);
  out.push(`<clipPath id="plot"><rect x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}"/></clipPath>`);
  for (let x = x0; x <= x1; x += 1) {
    const major = x % 2 === 0 || x1 - x0 <= 6;
    out.push(`<line x1="${sx(x)}" y1="${pad.top}" x2="${sx(x)}" y2="${height - pad.bottom}" stroke="#eee"/>`);
    if (major) out.push(`<text x="${sx(x)}" y="${height - pad.bottom + 18}" text-anchor="middle" font-size="11">${label(2 ** x)}</text>`);
  }
  for (let y = y0; y <= y1; y += 1) {
    out.push(`<line x1="${pad.left}" y1="${sy(y)}" x2="${width - pad.right}" y2="${sy(y)}" stroke="#eee"/>`);
    out.push(`<text x="${pad.left - 8}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${10 ** y} ms</text>`);
  }
  // Slope-1 guides: along one of them, doubling the size doubles the time.
  const guides = [];
  for (let c = y0 - (x1 - x0) * Math.log10(2); c <= y1; c += 1) {
    guides.push(`M${sx(x0).toFixed(1)},${sy(c).toFixed(1)} L${sx(x1).toFixed(1)},${sy(c + (x1 - x0) * Math.log10(2)).toFixed(1)}`);
  }
  out.push(`<path d="${guides.join(' ')}" stroke="#bbb" stroke-dasharray="4,4" fill="none" clip-path="url(#plot)"/>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(lx(p.bytes)).toFixed(1)},${sy(ly(p.ms)).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" stroke="${color}" stroke-width="2" fill="none"${s.dashed ? ' stroke-dasharray="6,3"' : ''}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${sx(lx(p.bytes)).toFixed(1)}" cy="${sy(ly(p.ms)).toFixed(1)}" r="3" fill="${color}"><title>${s.name}: ${p.bytes} bytes, ${p.ms.toFixed(3)} ms</title></circle>`);
    }
    const ly0 = pad.top + 10 + i * 20;
    out.push(`<line x1="${width - pad.right + 14}" y1="${ly0}" x2="${width - pad.right + 38}" y2="${ly0}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,3"' : ''}/>`);
    out.push(`<text x="${width - pad.right + 44}" y="${ly0 + 4}" font-size="11">${s.name}</text>`);
  });
  const gy = pad.top + 10 + series.length * 20;
  out.push(`<line x1="${width - pad.right + 14}" y1="${gy}" x2="${width - pad.right + 38}" y2="${gy}" stroke="#bbb" stroke-dasharray="4,4"/>`);
  out.push(`<text x="${width - pad.right + 44}" y="${gy + 4}" font-size="11">slope 1: time ∝ size</text>`);
  out.push(`<text x="${(pad.left + width - pad.right) / 2}" y="${height - 12}" text-anchor="middle" font-size="12">AdmissionReview body size</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
