// ANSI SGR colours (what Terraform prints) → styled text segments. The result is data, not markup: the log view puts
// each segment's text into a span with textContent, so a line like "<img onerror=…>" stays text whatever it holds.
//
// Each line is parsed on its own, starting unstyled: Terraform resets its colours within the line, and a view that
// renders any line alone (the visible window of a million) cannot depend on the lines before it.

// Escape sequences as ECMA-48 shapes them, so that none leaves bytes behind as text: a control sequence (ESC [,
// parameter bytes, intermediate bytes, a final byte), one cut at the end of the line (a line split at the agent's
// 64 KiB limit), an operating system command (ESC ], up to BEL, ESC \, the next escape or the end: window titles, hyperlinks), and any
// other escape (ESC, intermediate bytes, a final byte: ESC ( B of `tput sgr0`, ESC 7).
const ESCAPE =
  // eslint-disable-next-line no-control-regex
  /\x1b\[([0-?]*)([ -/]*)([@-~])|\x1b\[[0-?]*[ -/]*$|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$|(?=\x1b))|\x1b[ -/]*[0-~]?/g;
/** The parameters of a colour sequence (SGR: final byte m, no intermediates); anything else there is not one. */
const SGR_PARAMS = /^[0-9;:]*$/;

/**
 * [{text, fg, bg, bold, dim, italic, underline}] for one line. fg/bg: undefined, 0-15 (palette classes) or
 * '#rrggbb' (256-colour and true-colour codes). Other escape sequences (cursor moves, erase, titles) are dropped.
 */
export function parseAnsi(line) {
  const segments = [];
  let style = {};
  let last = 0;
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(line); m !== null; m = ESCAPE.exec(line)) {
    if (m.index > last) segments.push({ text: line.slice(last, m.index), ...style });
    last = ESCAPE.lastIndex;
    if (m[3] === 'm' && m[2] === '' && SGR_PARAMS.test(m[1])) style = applySgr(style, m[1]);
  }
  if (last < line.length) segments.push({ text: line.slice(last), ...style });
  return segments;
}

function applySgr(current, params) {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  const style = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) Object.keys(style).forEach((k) => delete style[k]);
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) {
      delete style.bold;
      delete style.dim;
    }
    else if (code === 23) delete style.italic;
    else if (code === 24) delete style.underline;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 39) delete style.fg;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 49) delete style.bg;
    else if (code === 38 || code === 48) {
      const [colour, used] = extendedColour(codes, i + 1);
      if (colour !== undefined) style[code === 38 ? 'fg' : 'bg'] = colour;
      i += used;
    }
  }
  return style;
}

/** 5;N (256 colours) or 2;R;G;B (true colour), starting at codes[at]: [colour, how many codes it took]. */
function extendedColour(codes, at) {
  if (codes[at] === 5 && at + 1 < codes.length) return [xterm256(codes[at + 1]), 2];
  if (codes[at] === 2 && at + 3 < codes.length) return [hex(codes[at + 1], codes[at + 2], codes[at + 3]), 4];
  return [undefined, codes.length - at];
}

function xterm256(n) {
  if (n < 16) return n;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return hex(v, v, v);
  }
  const steps = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return hex(steps[Math.floor(i / 36) % 6], steps[Math.floor(i / 6) % 6], steps[i % 6]);
}

function hex(r, g, b) {
  const c = (v) => Math.max(0, Math.min(255, v | 0)).toString(16).padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Fills `el` with the line's segments as spans (classes for the palette, CSSOM colours for the rest). */
export function renderAnsi(el, line) {
  if (!line.includes('\x1b')) {
    el.textContent = line;
    return;
  }
  el.replaceChildren(...parseAnsi(line).map(span));
}

function span(segment) {
  const el = document.createElement('span');
  el.textContent = segment.text;
  const classes = [];
  if (segment.bold) classes.push('sgr-bold');
  if (segment.dim) classes.push('sgr-dim');
  if (segment.italic) classes.push('sgr-italic');
  if (segment.underline) classes.push('sgr-underline');
  if (typeof segment.fg === 'number') classes.push(`sgr-fg${segment.fg}`);
  else if (segment.fg) el.style.color = segment.fg;
  if (typeof segment.bg === 'number') classes.push(`sgr-bg${segment.bg}`);
  else if (segment.bg) el.style.backgroundColor = segment.bg;
  if (classes.length) el.className = classes.join(' ');
  return el;
}
